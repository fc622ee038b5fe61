package cli

import (
	"github.com/spf13/cobra"
)

// addCompletionCmd adds 'warden completion bash|zsh|fish|powershell' with
// install instructions; cobra generates the scripts.
func addCompletionCmd(root *cobra.Command) {
	root.CompletionOptions.DisableDefaultCmd = true
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a script that teaches your shell to complete warden's commands,
flags and flag values. Load it once per session, or install it where your
shell looks for completions.`,
		Example: `  # bash, this session
  source <(warden completion bash)
  # bash, permanently (Linux)
  warden completion bash > /etc/bash_completion.d/warden

  # zsh (make sure 'autoload -U compinit; compinit' is in ~/.zshrc)
  warden completion zsh > "${fpath[1]}/_warden"

  # fish
  warden completion fish > ~/.config/fish/completions/warden.fish`,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
	root.AddCommand(cmd)
}
