"""The retrieval step as a LangChain retriever, for composing chains.

Its own module because langchain_core's import (its tracers) costs 0.4 s, which no answer
needs: `QA.retriever()` imports it on first use.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from bot.facts.retrieval import Retriever


class ReportRetriever(BaseRetriever):
    """The retriever as a LangChain `BaseRetriever`, for composing chains.

    Each Document is one paragraph; metadata carries source, paragraph number and scores.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 4

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        found = self.retriever.retrieve(query)
        return [
            Document(
                page_content=c.text,
                id=c.id,
                metadata={
                    "source": c.source,
                    "paragraph": c.paragraph,
                    "title": c.title,
                    "score": c.score,
                    "dense": c.dense,
                    "best_sentence": c.sentences[0].text if c.sentences else "",
                },
            )
            for c in found.contexts[: self.k]
        ]
