// What a commander program says about itself (usage, arguments, options, subcommands, extra help), taken from the same Help object `--help` uses.
import type { Command, Option } from 'commander';

/** How a completion should offer an option's value. */
export type ValueKind = 'none' | 'choice' | 'interface' | 'file' | 'directory' | 'other';

export interface OptionModel {
  /** Exactly as `--help` prints it: '-b, --buffers <count>'. */
  term: string;
  /** As `--help` prints it, with '(default: ...)' and '(choices: ...)'. */
  description: string;
  /** Every spelling: ['-b', '--buffers']. */
  flags: string[];
  valueKind: ValueKind;
  choices: string[];
}

export interface ArgumentModel {
  term: string;
  description: string;
}

export interface CommandModel {
  /** 'aoe copy' for a subcommand. */
  fullName: string;
  name: string;
  /** The usage line after the name, as `--help` prints it. */
  usage: string;
  description: string;
  arguments: ArgumentModel[];
  options: OptionModel[];
  subcommands: CommandModel[];
  /** Text added with addHelpText (examples, signals, notes), as `--help` prints it after the option list. */
  extraHelp: string;
}

/** Which values an option takes, from commander's own facts (choices) and its placeholder or name. */
function valueKind(option: Option): ValueKind {
  if (!option.required && !option.optional) return 'none';
  if (option.argChoices && option.argChoices.length > 0) return 'choice';
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const word = (placeholder?.[1] ?? placeholder?.[2] ?? '').toLowerCase();
  const name = option.attributeName().toLowerCase();
  if (name === 'interfaces' || word.includes('netif')) return 'interface';
  if (word === 'dir' || word.endsWith('directory')) return 'directory';
  if (['file', 'path', 'socket'].includes(word) || name.endsWith('socket') || name === 'config') return 'file';
  return 'other';
}

/** The help text commander prints around helpInformation(): what addHelpText added. */
function extraHelpText(command: Command): string {
  let printed = '';
  let main = '';
  const saved = command.configureOutput();
  command.configureOutput({ writeOut: (text) => (printed += text), writeErr: (text) => (printed += text), getOutHelpWidth: () => 100 });
  try {
    command.outputHelp();
    main = command.helpInformation({ error: false });
  } finally {
    command.configureOutput(saved);
  }
  const at = printed.indexOf(main);
  const extra = at < 0 ? '' : printed.slice(0, at) + printed.slice(at + main.length);
  return extra.replace(/^\n+|\s+$/g, '');
}

/** The model of `command` and its subcommands. */
export function describeCommand(command: Command, parentName?: string): CommandModel {
  const help = command.createHelp();
  const fullName = parentName === undefined ? command.name() : `${parentName} ${command.name()}`;
  return {
    fullName,
    name: command.name(),
    usage: command.usage(),
    description: help.commandDescription(command),
    arguments: help.visibleArguments(command).map((argument) => ({
      term: help.argumentTerm(argument),
      description: help.argumentDescription(argument),
    })),
    options: help.visibleOptions(command).map((option) => ({
      term: help.optionTerm(option),
      description: help.optionDescription(option),
      flags: [option.short, option.long].filter((flag): flag is string => typeof flag === 'string'),
      valueKind: valueKind(option),
      choices: [...(option.argChoices ?? [])],
    })),
    subcommands: help
      .visibleCommands(command)
      .filter((sub) => sub.name() !== 'help')
      .map((sub) => describeCommand(sub, fullName)),
    extraHelp: extraHelpText(command),
  };
}
