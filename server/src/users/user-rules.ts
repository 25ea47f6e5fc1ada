import { BadUserInputError } from '../shared/errors.js';

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD = 8;
// argon2 would hash megabytes happily; a cap keeps login from being a CPU lever
export const MAX_PASSWORD = 256;

export function checkUsername(username: string, field = 'input.username'): string {
  const clean = username.trim().toLowerCase();
  if (!USERNAME.test(clean)) {
    throw new BadUserInputError('A username has 1 to 64 letters, digits or . _ @ -, and starts with a letter or digit', { field });
  }
  return clean;
}

export function checkPassword(password: string, field = 'input.password'): string {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new BadUserInputError(`A password has ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, { field });
  }
  return password;
}
