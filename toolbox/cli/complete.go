package cli

import (
	"fmt"
	"os"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/recipes"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Shell completion: each script asks tbx itself for the words that may
// come next (`tbx ARGS... --generate-bash-completion`, urfave/cli's
// protocol), so that commands, flags, tool names and the nearest recipe's
// commands are always current.

const bashCompletion = `# tbx completion for bash: source <(tbx completion bash)
_tbx_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  [[ $cur == -* ]] && words+=("$cur")
  COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _tbx_complete tbx
`

const zshCompletion = `#compdef tbx
# tbx completion for zsh: source <(tbx completion zsh)
_tbx() {
  local -a words_before candidates
  words_before=(${words[1,CURRENT-1]})
  [[ ${words[CURRENT]} == -* ]] && words_before+=(${words[CURRENT]})
  candidates=("${(@f)$(${words_before[@]} --generate-bash-completion 2>/dev/null)}")
  if [[ -n ${candidates[1]} ]]; then
    compadd -a candidates
  else
    _files
  fi
}
compdef _tbx tbx
`

const powershellCompletion = `# tbx completion for PowerShell: tbx completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName tbx -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = $commandAst.CommandElements | ForEach-Object { $_.ToString() }
  if ($wordToComplete -eq '') { $words += '' }
  $before = $words[0..($words.Count - 2)]
  if ($wordToComplete -like '-*') { $before += $wordToComplete }
  & $before[0] $before[1..$before.Count] --generate-bash-completion 2>$null |
    Where-Object { $_ -like "$wordToComplete*" } |
    ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`

// fishDynamic asks tbx for the nearest recipe's commands and tools, which a
// fish script generated once cannot know.
const fishDynamic = `
# The nearest recipe's commands and tools, asked of tbx as you type.
complete -c tbx -n '__fish_seen_subcommand_from run' -f -a '(tbx run --generate-bash-completion 2>/dev/null)'
complete -c tbx -n '__fish_seen_subcommand_from shell build pull prepare push' -f -a '(tbx shell --generate-bash-completion 2>/dev/null)'
`

func completionCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh, fish or powershell",
		ArgsUsage: "bash|zsh|fish|powershell",
		Description: "Completes commands, flags, tool names and the nearest recipe's commands.\n" +
			"bash:       source <(tbx completion bash)         (or save it in /etc/bash_completion.d/tbx)\n" +
			"zsh:        source <(tbx completion zsh)          (or save it as _tbx on $fpath)\n" +
			"fish:       tbx completion fish > ~/.config/fish/completions/tbx.fish\n" +
			"powershell: tbx completion powershell | Out-String | Invoke-Expression",
		BashComplete: words("bash", "zsh", "fish", "powershell"),
		Action: func(c *ucli.Context) error {
			return a.runCompletion(c.App, c.Args().First())
		},
	}
}

func (a *app) runCompletion(app *ucli.App, shell string) error {
	switch shell {
	case "bash":
		fmt.Fprint(a.streams.Out, bashCompletion)
	case "zsh":
		fmt.Fprint(a.streams.Out, zshCompletion)
	case "powershell":
		fmt.Fprint(a.streams.Out, powershellCompletion)
	case "fish":
		// A fresh App of fresh commands: the one running has urfave's help
		// command in it, which urfave shares between Apps in one process.
		fish := &ucli.App{Name: app.Name, Usage: app.Usage, Flags: app.Flags, Commands: a.commands()}
		script, err := fish.ToFishCompletion()
		if err != nil {
			return err
		}
		fmt.Fprint(a.streams.Out, script+fishDynamic)
	default:
		return exit.Errorf(exit.Failed, "tbx completion takes one of bash, zsh, fish, powershell; see `tbx completion --help`")
	}
	return nil
}

// flagValues completes the value of a flag that takes one of a few when
// the word before the cursor is that flag (--progress, run's --tool,
// init's --recipe), else completes as next does. args is the command line.
func flagValues(args []string, next ucli.BashCompleteFunc) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		n := len(args)
		if n < 3 || args[n-1] != "--generate-bash-completion" {
			next(c)
			return
		}
		switch args[n-2] {
		case "--progress":
			fmt.Fprintln(c.App.Writer, "auto\ntty\nplain")
		case "--tool", "-t":
			completeTools(c)
		case "--recipe", "-r":
			fmt.Fprintln(c.App.Writer, strings.Join(recipes.Names(), "\n"))
		default:
			next(c)
		}
	}
}

// words completes with a fixed list.
func words(list ...string) ucli.BashCompleteFunc {
	return func(c *ucli.Context) {
		if c.NArg() == 0 {
			fmt.Fprintln(c.App.Writer, strings.Join(list, "\n"))
		}
	}
}

// toolsOrFlags completes cmd's flags after a dash, else tool names.
func toolsOrFlags(cmd *ucli.Command) ucli.BashCompleteFunc {
	flags := ucli.DefaultCompleteWithFlags(cmd)
	return func(c *ucli.Context) {
		if n := len(os.Args); n >= 2 && strings.HasPrefix(os.Args[n-2], "-") {
			flags(c)
			return
		}
		completeTools(c)
	}
}

// completeTools completes tool names of the nearest recipe, then nothing.
func completeTools(c *ucli.Context) {
	r := nearestRecipe(c)
	if r == nil {
		return
	}
	for _, t := range r.ToolNames() {
		fmt.Fprintln(c.App.Writer, t)
	}
}

// completeCommands completes the nearest recipe's commands as the first
// argument of run; after it, the arguments are the command's.
func completeCommands(c *ucli.Context) {
	if c.NArg() > 0 {
		return
	}
	r := nearestRecipe(c)
	if r == nil {
		return
	}
	for _, t := range r.Tools {
		for _, cmd := range t.Commands {
			fmt.Fprintln(c.App.Writer, cmd)
		}
	}
	fmt.Fprintln(c.App.Writer, "--tool")
	fmt.Fprintln(c.App.Writer, "--frozen")
}

// nearestRecipe reads the recipe --file names or the nearest one, only to
// complete: nothing acts on it. Any problem means no words.
func nearestRecipe(c *ucli.Context) *recipe.Recipe {
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	path := c.String("file")
	if path == "" {
		if path, err = recipe.Find(wd); err != nil {
			return nil
		}
	}
	r, err := recipe.Load(path, recipe.Options{EngineSocket: recipe.DefaultEngineSocket, Home: homeDir(), Cwd: wd})
	if err != nil {
		return nil
	}
	return r
}
