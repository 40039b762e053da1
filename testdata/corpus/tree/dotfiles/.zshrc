export ZSH="$HOME/.oh-my-zsh"
ZSH_THEME="robbyrussell"
plugins=(git docker kubectl aws terraform)
source $ZSH/oh-my-zsh.sh

export EDITOR=nvim
export GOPATH="$HOME/go"
export PATH="$HOME/.local/bin:$GOPATH/bin:$PATH"

# --- AI tooling ---
export OPENAI_API_KEY="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"
export ANTHROPIC_API_KEY="sk-ant-api03-pPdP0-EUaB3QWGLIYUhMyX7ESi7O3c8z3rZcTYcPE22cA1y81qqcq8j-iu5x02eBoPh9HAavGHK8UZhcbi_osISQugxhCAA"
export GROQ_API_KEY=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
export HF_TOKEN=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
export REPLICATE_API_TOKEN=r8_oMTYYcLvIbrNsNQtKSLv08bO8KIBw3ioAIjqU
export PERPLEXITY_API_KEY=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
# pulled from 1Password at shell start instead of hardcoding
export MISTRAL_API_KEY="$(op read 'op://Private/Mistral/credential' 2>/dev/null)"

export GITHUB_TOKEN=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
export HOMEBREW_GITHUB_API_TOKEN="$GITHUB_TOKEN"
export SNYK_TOKEN=bf865c76-bac7-46df-a490-253afa45d45d

alias k=kubectl
alias tf=terraform
alias gs='git status -sb'
