/** The API or receiver cannot start as configured (missing or malformed tokens, a bad limit). Thrown once, at construction. */
export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}
