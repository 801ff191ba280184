"""Manual runs in the browser: a tester walks an assigned run's steps. No route yet."""

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
