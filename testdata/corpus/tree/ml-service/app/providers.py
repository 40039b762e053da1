"""Provider registry for the LLM gateway.

Keys are normally injected via the env; the hardcoded fallbacks were added during the
hackathon and still need to be cleaned up (ML-54).
"""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    name: str
    base_url: str
    api_key: str


PROVIDERS = {
    "anthropic": Provider("anthropic", "https://api.anthropic.com", os.getenv("ANTHROPIC_API_KEY", "sk-ant-api03-_6qGKrUFTMcZqwyUn9dlFwDD-xh50qRd6yK1jslYSwiVf788v7_5vmXuKBpD1SBM6cBrgr1mHGOkbIUXhpyET4SVJXSYsAA")),
    "openai": Provider("openai", "https://api.openai.com/v1", os.getenv("OPENAI_API_KEY", "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")),
    "groq": Provider("groq", "https://api.groq.com/openai/v1", os.environ.get("GROQ_API_KEY", "")),
    "openrouter": Provider("openrouter", "https://openrouter.ai/api/v1", "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"),
    "xai": Provider("xai", "https://api.x.ai/v1", "xai-CDpoMhfp0Kl0F54ILTrgGWlJB1r5W5TWx0n92GJfWXDpfDCA0AdcmdwzMruQZIl0YrB89wP9j8LaOhV6"),
    "cohere": Provider("cohere", "https://api.cohere.com/v1", "PxoCjrfMfaWg69xmRae4cr6giwYyLs6zjPXi1iRI"),
    "mistral": Provider("mistral", "https://api.mistral.ai/v1", os.environ["MISTRAL_API_KEY"]),
}

EMBEDDINGS_MODEL = "text-embedding-3-small"
