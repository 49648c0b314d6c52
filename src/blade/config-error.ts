// The one error type for a configuration the target cannot serve (code ERR_CONFIG), with an optional hint for the user.

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  /** What to do about it, printed by the CLIs under the message (e.g. 'See examples/serve.json for the format.'). */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'ConfigError';
    this.hint = hint;
  }
}
