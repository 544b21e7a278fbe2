/** Shell completion scripts, generated from the command table. Pure. */
import { COMMANDS, GLOBAL_FLAGS, globalFlagsOf, type Flag } from '../command-table.ts';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Commands whose argument is an object. */
const TAKES_OBJECT = ['get', 'describe', 'start', 'stop', 'restart', 'logs'];

// Object names as `kind/name` and bare names, from a running controller or the state dir.
const OBJECTS = `tend get -o json 2>/dev/null | grep -o '"key":"[^"]*"' | cut -d'"' -f4`;

function flagWords(flags: readonly Flag[]): string[] {
  return flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
}

/** The script for `shell`. */
export function completionScript(shell: Shell): string {
  if (shell === 'bash') return bash();
  if (shell === 'zsh') return `#compdef tend\nautoload -U +X bashcompinit && bashcompinit\n${bash()}`;
  return fish();
}

function bash(): string {
  const names = Object.keys(COMMANDS);
  const cases = names.map((n) => `    ${n}) flags="${[...flagWords(COMMANDS[n]?.flags ?? []), ...flagWords(GLOBAL_FLAGS)].join(' ')}" ;;`);
  return `# tend completion for bash: source <(tend completion bash)
_tend() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} flags
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} --help --version" -- "$cur")); return
  fi
  case "$cmd" in
${cases.join('\n')}
  esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$flags" -- "$cur")) ;;
    *) case " ${TAKES_OBJECT.join(' ')} " in
         *" $cmd "*) local keys; keys=$(${OBJECTS}); COMPREPLY=($(compgen -W "$keys $(printf '%s\\n' $keys | sed 's|.*/||')" -- "$cur")) ;;
         *) COMPREPLY=($(compgen -f -- "$cur")) ;;
       esac ;;
  esac
}
complete -F _tend tend
`;
}

function fish(): string {
  const lines = ['# tend completion for fish: tend completion fish > ~/.config/fish/completions/tend.fish', 'complete -c tend -f'];
  for (const [name, spec] of Object.entries(COMMANDS)) {
    lines.push(`complete -c tend -n __fish_use_subcommand -a ${name} -d ${JSON.stringify(spec.summary)}`);
    for (const f of [...spec.flags, ...globalFlagsOf(spec)]) {
      lines.push(`complete -c tend -n "__fish_seen_subcommand_from ${name}" -l ${f.name}${f.short ? ` -s ${f.short}` : ''}${f.type === 'string' ? ' -r' : ''} -d ${JSON.stringify(f.help)}`);
    }
  }
  lines.push(`complete -c tend -n "__fish_seen_subcommand_from ${TAKES_OBJECT.join(' ')}" -a "(${OBJECTS})"`);
  return `${lines.join('\n')}\n`;
}
