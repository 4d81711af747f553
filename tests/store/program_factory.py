"""A small but complete program file used by store and pipeline tests."""

SMALL_PROGRAM = """\
program:
  id: checkout-v2
  name: Checkout v2 launch
  tier: 2
  timezone: Europe/Berlin
  start_date: 2026-09-01
teams:
  - {id: web, name: Web, lead: ana}
  - {id: api, name: API, lead: ben}
people:
  - {id: ana, name: Ana Lima, email: ana@example.com, aliases: [Annie], team: web}
  - {id: ben, name: Ben Okafor, email: ben@example.com, team: api}
milestones:
  - id: M1
    name: Beta
    team: web
    owner: ana
    target_date: 2026-11-01
    forecast_date: 2026-11-15
    forecast_history:
      - {changed_on: 2026-10-01, forecast: 2026-11-08, reason: vendor delay}
      - {changed_on: 2026-10-20, forecast: 2026-11-15}
    critical_path: true
dependencies:
  - {id: D1, deliverable: Payments API v3, provider_team: api, consumer_team: web, due_date: 2026-10-15,
     status: in_progress, milestone: M1}
raid:
  - {id: R1, kind: R, title: Vendor SDK late, owner: ben, probability: 3, impact: 4,
     mitigation: Fallback SDK, opened_at: "2026-09-10T10:00:00+02:00"}
decisions:
  - {id: DEC1, question: "Ship beta without Apple Pay?", options: ["Ship without", "Wait for Apple Pay"],
     requested_at: "2026-10-01T09:00:00+02:00"}
action_items:
  - {id: A1, task: Write rollback plan, owner: ana, due: 2026-10-30, created_at: "2026-10-10T09:00:00+02:00"}
"""
