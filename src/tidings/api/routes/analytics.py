"""``GET /tidings/analytics``: the dashboard's figures as JSON, or one table of them as CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api.routes.common import TIDINGS_VERSIONS, api_version, json, run
from tidings.errors import InvalidInput
from tidings.services.analytics import check_table, to_csv
from tidings.services.registry import Services

_FORMATS = ("json", "csv")


def routes(services: Services) -> list[Route]:
    analytics = services.analytics

    async def get_analytics(request: Request) -> Response:
        api_version(request, TIDINGS_VERSIONS, optional=True)
        q = request.query_params
        fmt = q.get("format", "json")
        if fmt not in _FORMATS:
            raise InvalidInput(f"format must be json or csv; got {fmt!r}.", target="format")
        table = q.get("table", "series")
        query = analytics.query(
            start=q.get("from"),
            end=q.get("to"),
            bucket=q.get("bucket"),
            number=q.get("number"),
            tag=q.get("tag"),
        )
        if fmt == "csv":
            check_table(table)
        report = await run(analytics.report, query)
        if fmt == "json":
            return json(report)
        filename = f"tidings-{table}-{report['from'][:10]}-{report['to'][:10]}.csv"
        return Response(
            to_csv(report, table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return [Route("/tidings/analytics", get_analytics, methods=["GET"])]
