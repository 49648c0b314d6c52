// Help text as users type values: defaults and choices without JSON quotes ((default: 1M), not (default: "1M")).
import type { Argument, Command, Option } from 'commander';

function plain(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(plain).join(',');
  return JSON.stringify(value);
}

function withExtras(description: string, extras: Array<string | undefined>): string {
  const shown = extras.filter((extra): extra is string => extra !== undefined);
  if (shown.length === 0) return description;
  return description ? `${description} (${shown.join(', ')})` : `(${shown.join(', ')})`;
}

function describeOption(option: Option): string {
  const showDefault =
    option.defaultValue !== undefined &&
    (option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean'));
  return withExtras(option.description, [
    option.argChoices ? `choices: ${option.argChoices.join(', ')}` : undefined,
    showDefault ? `default: ${option.defaultValueDescription || plain(option.defaultValue)}` : undefined,
    option.envVar !== undefined ? `env: ${option.envVar}` : undefined,
  ]);
}

function describeArgument(argument: Argument): string {
  return withExtras(argument.description, [
    argument.argChoices ? `choices: ${argument.argChoices.join(', ')}` : undefined,
    argument.defaultValue !== undefined ? `default: ${argument.defaultValueDescription || plain(argument.defaultValue)}` : undefined,
  ]);
}

/** Install the help formatter on one command (configureProgram does it for every command). */
export function configurePlainHelp(command: Command): Command {
  return command.configureHelp({ optionDescription: describeOption, argumentDescription: describeArgument });
}
