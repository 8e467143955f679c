"""`/trials/{trial_id}`, `/patients/{patient_id}` and `/runs`."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from db import criteria as criteria_store
from db.patients import get_patient
from db.review_lists import list_page, matches_by_site, recent_match_runs
from db.runs import recent_nightly_runs
from db.studies import study_of
from trialmatch.core.errors import TrialNotFound
from trialmatch.core.review import STATE_LABELS, MatchFilter
from trialmatch.core.trial import Site
from trialmatch.web.app import HttpError, ReviewSite, Visit, route
from trialmatch.web.filters import page_number
from trialmatch.web.pairs import trial_record

RUNS_SHOWN = 20


def routes(site: ReviewSite) -> list[BaseRoute]:
    return [
        route("/trials/{trial_id}", site.page(trial_page)),
        route("/patients/{patient_id}", site.page(patient_page)),
        route("/runs", site.page(runs_page)),
    ]


def site_label(site: Site) -> str:
    """A site as the lists name it (as candidate retrieval labels the nearest site)."""
    return ", ".join(part for part in (site.facility, site.city, site.country) if part) or "site"


def trial_page(visit: Visit) -> Response:
    trial_id = visit.request.path_params["trial_id"]
    try:
        trial = trial_record(visit.database, trial_id)
    except TrialNotFound as exc:
        raise HttpError(404, "There is no such trial.") from exc
    study = study_of(visit.database, trial_id)
    try:
        criteria = criteria_store.load_criteria(visit.database, trial_id)
    except TrialNotFound:
        criteria = None
    by_site = matches_by_site(visit.database, trial_id, visit.sites())
    found = list_page(
        visit.database,
        MatchFilter(trial_id=trial_id),
        sites=visit.sites(),
        page=page_number(visit.request.query_params),
        per_page=visit.site.config.per_page,
    )
    sites = [(site, site_label(site), by_site.get(site_label(site))) for site in trial.sites]
    return visit.render(
        "trial.html",
        trial=trial,
        study=study or trial,
        criteria=criteria,
        sites=sites,
        found=found,
        state_labels=STATE_LABELS,
    )


def patient_page(visit: Visit) -> Response:
    patient_id = visit.request.path_params["patient_id"]
    profile = get_patient(visit.database, patient_id)
    if profile is None:
        raise HttpError(404, "There is no such patient.")
    found = list_page(
        visit.database,
        MatchFilter(patient_id=patient_id),
        sites=visit.sites(),
        page=page_number(visit.request.query_params),
        per_page=visit.site.config.per_page,
    )
    if found.total == 0 and not visit.user.sees_every_site:
        # a coordinator of other sites learns nothing of this patient, not even that it exists
        raise HttpError(404, "There is no such patient.")
    return visit.render("patient.html", profile=profile, found=found, state_labels=STATE_LABELS)


def runs_page(visit: Visit) -> Response:
    return visit.render(
        "runs.html",
        nightly_runs=recent_nightly_runs(visit.database, RUNS_SHOWN),
        match_runs=recent_match_runs(visit.database, RUNS_SHOWN),
    )
