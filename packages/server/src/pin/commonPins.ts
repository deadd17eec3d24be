/** The most chosen PINs (DataGenetics' 4-digit study, common 6-digit ones): never good enough. */
const FAVOURITES = new Set([
  "1234",
  "1111",
  "0000",
  "1212",
  "7777",
  "1004",
  "2000",
  "4444",
  "2222",
  "6969",
  "9999",
  "3333",
  "5555",
  "6666",
  "1122",
  "1313",
  "8888",
  "4321",
  "2001",
  "1010",
  "2580",
  "0852",
  "1357",
  "2468",
  "123456",
  "654321",
  "111111",
  "000000",
  "121212",
  "123123",
  "112233",
  "159753",
  "147258",
  "696969",
  "123321",
  "666666",
  "1234567",
  "12345678",
  "87654321",
  "11111111",
]);

/**
 * True for a PIN an attacker tries first: a favourite, one digit repeated, or a run of consecutive
 * digits up or down (`3456`, `98765`).
 */
export function isCommonPin(pin: string): boolean {
  if (FAVOURITES.has(pin)) return true;
  if (/^(\d)\1+$/.test(pin)) return true;
  const steps = new Set<number>();
  for (let i = 1; i < pin.length; i++) steps.add((Number(pin[i]) - Number(pin[i - 1]) + 10) % 10);
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}
