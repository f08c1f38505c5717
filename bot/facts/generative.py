"""The generative answerer: a LangChain chat model (any `init_chat_model` provider) answers
from numbered sources; `verify` then decides whether the user may see its answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.facts import prompts
from bot.facts.verify import verify
from bot.models import Answer, Context, Turn

log = logging.getLogger(__name__)


class LLMError(RuntimeError):
    """The chat model could not be set up or did not answer."""


class GenerativeAnswerer:
    """Answers with an LLM; falls back to the extractive answer whenever it cannot be trusted."""

    def __init__(self, spec: str, timeout: float = 60.0) -> None:
        self.spec = spec
        self.timeout = timeout
        self._chain = None
        self._condense = None

    def _model(self):  # noqa: ANN202 - BaseChatModel
        try:
            from langchain.chat_models import init_chat_model
        except ImportError as exc:
            raise LLMError(
                "REPORTQA_LLM needs LangChain's chat models: pip install 'reportqa[openai]' "
                f"or 'reportqa[ollama]' ({exc})"
            ) from None
        try:
            return init_chat_model(self.spec, temperature=0, timeout=self.timeout, max_retries=1)
        except Exception as exc:
            raise LLMError(f"cannot set up the chat model '{self.spec}': {exc}") from None

    def _chains(self):  # noqa: ANN202
        if self._chain is None:
            from langchain_core.output_parsers import StrOutputParser
            from langchain_core.prompts import ChatPromptTemplate

            model = self._model()
            answer_prompt = ChatPromptTemplate.from_messages(
                [("system", prompts.ANSWER_SYSTEM), ("human", prompts.ANSWER_HUMAN)]
            )
            condense_prompt = ChatPromptTemplate.from_messages(
                [("system", prompts.CONDENSE_SYSTEM), ("human", prompts.CONDENSE_HUMAN)]
            )
            self._chain = answer_prompt | model | StrOutputParser()
            self._condense = condense_prompt | model | StrOutputParser()
        return self._chain, self._condense

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone version of a follow-up question."""
        _, condense = self._chains()
        lines = []
        for turn in history[-4:]:
            lines.append(f"User: {turn.question}")
            if turn.answer:
                lines.append(f"Assistant: {turn.answer}")
        text = condense.invoke({"history": "\n".join(lines), "question": question}).strip()
        return text.splitlines()[0].strip() if text else question

    def answer(self, question: str, contexts: list[Context], fallback: Answer) -> Answer:
        """The LLM's answer if it survives verification, else `fallback` (marked as such)."""
        if not contexts:
            return fallback
        chain, _ = self._chains()
        sources = "\n\n".join(
            prompts.SOURCE_TEMPLATE.format(
                n=n, source=c.source, paragraph=c.paragraph, title=c.title, text=c.text
            )
            for n, c in enumerate(contexts, start=1)
        )
        try:
            reply = chain.invoke({"sources": sources, "question": question}).strip()
        except Exception as exc:  # network, HTTP status, timeout, bad JSON...
            log.warning("LLM call failed, using the extractive answer: %s", exc)
            return fallback.model_copy(update={"answerer": "extractive-fallback"})
        if prompts.NO_ANSWER_TOKEN in reply:
            return Answer(
                question=question,
                answer=fallback.answer if not fallback.answered else _not_in(question),
                answered=False,
                answerer="generative",
            )
        checked = verify(reply, contexts)
        if not checked.ok:
            log.info(
                "generated answer rejected (figures %s not in cited text, markers removed %s)",
                checked.unsupported_figures,
                checked.removed_markers,
            )
            return fallback.model_copy(update={"answerer": "extractive-fallback"})
        return Answer(
            question=question,
            answer=checked.text,
            answered=True,
            citations=checked.citations,
            answerer="generative",
        )


def _not_in(question: str) -> str:
    from bot.language import detect_language, not_in_reports

    return not_in_reports(detect_language(question))
