"""A stand-in for a third-party OpenAI-compatible provider (its own process in the tests):
`POST /chat/completions` answers with the last user message it received, so a test can see
exactly what the assistant sent; it wants `Authorization: Bearer <FAKE_OPENAI_KEY>`."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.get("/")
async def root() -> dict[str, str]:
    return {"ok": "fake"}


@app.post("/chat/completions")
async def chat(request: Request) -> JSONResponse:
    if request.headers.get("authorization") != f"Bearer {os.environ['FAKE_OPENAI_KEY']}":
        return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
    body: dict[str, Any] = await request.json()
    last = body["messages"][-1]["content"]
    system = body["messages"][0]["content"]
    content = f"model={body['model']} turns={len(body['messages'])} system={system[:20]!r}\n{last}"
    return JSONResponse(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    )
