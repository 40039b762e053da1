import os

os.environ.setdefault("LANGCHAIN_TRACING_V2", "true")
os.environ.setdefault("LANGCHAIN_PROJECT", "support-copilot")
os.environ.setdefault("LANGCHAIN_API_KEY", "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")
os.environ.setdefault("WANDB_API_KEY", "3e80937b05c3cc6c0614f6c56e25abbaab8b9b32")
