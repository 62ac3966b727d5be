// Distinct, valid French mobile numbers for the benchmarks: "+336" and 8 digits.
// Left out: the +33 639, 690-694, 696 and 697 blocks (overseas ranges that
// libphonenumber, hence Salvo, rightly reads as invalid for France), and the
// endings 97, 98 and 99, on which the simulator fails or undelivers a message.
// So every message of a benchmark is sent.

/** The two digits after "+336" of mainland mobile blocks. */
const BLOCKS = Array.from({ length: 100 }, (_, i) => i).filter((b) => b !== 39 && !(b >= 90 && b <= 97));
/** 6-digit endings whose last two digits are 00 to 96. */
const PER_BLOCK = 970_000;
const USABLE = BLOCKS.length * PER_BLOCK;
/** Coprime with USABLE (2⁴·5⁴·7·13·97), so i ↦ i·STEP mod USABLE visits each number once. */
const STEP = 104_729;

/** The i-th number of a fixed sequence: distinct for every i below USABLE (~88 million), scattered. */
function frenchMobile(i: number): string {
  const k = (i * STEP) % USABLE;
  const block = BLOCKS[Math.floor(k / PER_BLOCK)] as number;
  const rest = k % PER_BLOCK;
  const ending = Math.floor(rest / 97) * 100 + (rest % 97);
  return `+336${block.toString().padStart(2, "0")}${ending.toString().padStart(6, "0")}`;
}

/** Numbers `from` to `from + count - 1` of the sequence. */
export function frenchMobiles(from: number, count: number): string[] {
  const numbers = new Array<string>(count);
  for (let i = 0; i < count; i++) numbers[i] = frenchMobile(from + i);
  return numbers;
}
