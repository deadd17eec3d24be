/** Says, at the end of the run too, which suites did not run for want of a service. */
export default function globalSetup() {
  return () => {
    if (!process.env.PIMS_TEST_DATABASE_URL) {
      process.stdout.write("NOTE: the PostgreSQL suites did not run: PIMS_TEST_DATABASE_URL is not set.\n");
    }
    if (!process.env.PIMS_TEST_REDIS_URL) {
      process.stdout.write("NOTE: the Redis suites did not run: PIMS_TEST_REDIS_URL is not set.\n");
    }
  };
}
