// How old someone was in a photo, from their birth date and the photo's date, as Kindred's
// core counts it (whole months, then whole years).

/** "8 months", "1 year", "12 years"; null when a date is missing or the photo is older than the birth. */
export function ageAt(birth: string | null | undefined, taken: string | null | undefined): string | null {
  if (!birth || !taken) return null;
  const b = /^(\d{4})-(\d{2})-(\d{2})/.exec(birth);
  const t = /^(\d{4})-(\d{2})-(\d{2})/.exec(taken);
  if (!b || !t) return null;
  let months = (Number(t[1]) - Number(b[1])) * 12 + (Number(t[2]) - Number(b[2]));
  if (Number(t[3]) < Number(b[3])) months -= 1;
  if (months < 0) return null;
  const years = Math.floor(months / 12);
  if (years === 0) return months === 1 ? "1 month" : `${months} months`;
  return years === 1 ? "1 year" : `${years} years`;
}
