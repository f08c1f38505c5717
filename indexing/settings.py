"""All of reportqa's settings in one place: environment, `.env`, then CLI overrides."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from `REPORTQA_*` variables and a `.env` file; see CONTRACT.md."""

    model_config = SettingsConfigDict(
        env_prefix="REPORTQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    corpus_dir: Path = Field(Path("corpus"), description="Where the reports are.")
    index_dir: Path = Field(Path(".reportqa"), description="Embedded Chroma store and state.")
    chroma_url: str | None = Field(None, description="Chroma server URL; replaces the local store.")
    embedding: str = Field("e5-small-q4", description="Embedding model spec.")
    embed_batch_size: int = Field(32, ge=1, le=4096, description="Texts per embedding call.")
    index_workers: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Threads reading and splitting reports while others are embedded.",
    )
    device: str = Field("auto", description="Torch device for sentence-transformers models.")
    max_file_mb: float = Field(50, gt=0, description="Larger report files are skipped.")
    max_paragraph_chars: int = Field(
        20_000, ge=500, description="Longer paragraphs are cut (with a warning) before embedding."
    )
    llm: str | None = Field(None, description="`provider:model` for generative answers.")
    telegram_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_api_url: str | None = None
    allowed_users: str = ""
    #: Who may add, replace and remove reports from the chat (ids or @usernames); nobody
    #: when empty.
    telegram_admins: str = ""
    public: bool = False
    telegram_rate_limit: int = Field(10, ge=1, description="Questions per user per minute.")

    @field_validator("chroma_url", "llm", "telegram_api_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `REPORTQA_CHROMA_URL=` in a .env file means "not set", not "empty URL".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def with_overrides(self, **overrides: object) -> Settings:
        """Return a copy with the given (non-None) values replaced, e.g. from CLI flags."""
        values = {k: v for k, v in overrides.items() if v is not None}
        if not values:
            return self
        return self.model_copy(update=values)

    @property
    def store_location(self) -> str:
        """Where the index lives, for humans: the server URL or the local directory."""
        return self.chroma_url or str(self.index_dir)
