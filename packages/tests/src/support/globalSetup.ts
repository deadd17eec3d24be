/** Says, at the start and at the end of the run, which suites did not run for want of a service. */
function notes(): void {
  if (!process.env.PIMS_TEST_DATABASE_URL) {
    process.stdout.write(
      "NOTE: the PostgreSQL suites did not run: PIMS_TEST_DATABASE_URL is not set (.ci/run sets it).\n",
    );
  }
  if (!process.env.PIMS_TEST_REDIS_URL) {
    process.stdout.write("NOTE: the Redis suites did not run: PIMS_TEST_REDIS_URL is not set (.ci/run sets it).\n");
  }
}

export default function globalSetup() {
  notes();
  return notes;
}
