// Reading the inputs of a submitted form: urlencoded fields, each a string,
// or a list when given more than once.

/** The last value of the field `name`, or `''`. */
export function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  // a JSON body may hold anything: only strings are read
  const last = Array.isArray(value) ? value.at(-1) : value;
  return typeof last === 'string' ? last : '';
}

/** Every value of the field `name`. */
export function texts(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : ''));
  return typeof value === 'string' ? [value] : [];
}

/** Adds `message` to the errors of `field`, once. */
export function addError<F extends string>(
  errors: Partial<Record<F, string[]>>,
  field: F,
  message: string,
): void {
  const list = errors[field] ?? [];
  if (!list.includes(message)) list.push(message);
  errors[field] = list;
}

/** A non-negative whole number, or an error for the field; empty means 0. */
export function integer<F extends string>(
  value: string,
  field: F,
  errors: Partial<Record<F, string[]>>,
): number {
  const trimmed = value.trim();
  if (trimmed === '') return 0;
  if (!/^\d{1,16}$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    addError(errors, field, 'must be a whole number, 0 or more');
    return 0;
  }
  return Number(trimmed);
}
