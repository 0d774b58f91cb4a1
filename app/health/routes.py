from fastapi import APIRouter, Response

from app.deps import EngineDep
from app.health import service as health_service
from app.health.service import Health

router = APIRouter(tags=["health"])


@router.get("/health/live", summary="Check the process answers")
async def live() -> dict[str, str]:
    """Liveness: the process answers (no database, no authentication)."""
    return {"status": "ok"}


@router.get(
    "/health",
    response_model=Health,
    summary="Service health",
    responses={
        503: {
            "description": "The database is unreachable or its schema is not at the newest "
            "migration / 数据库不可用或未迁移到最新版本",
            "model": Health,
        }
    },
)
def health(engine: EngineDep, response: Response) -> Health:
    """Report whether the database is reachable and its schema is at the newest migration."""
    result = health_service.check(engine)
    if result.status != "ok":
        response.status_code = 503
    return result
