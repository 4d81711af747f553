"""A second program for ask tests, unlike the bundled sample: other people, teams and topics.

Harbor moves a retail analytics warehouse to a lakehouse. As of 2027-03-10 (a Wednesday),
Europe/Dublin. Two people share the first name Chris; Gus is an alias; Northwind is a vendor.
"""

HARBOR = """\
program:
  id: harbor
  name: Harbor lakehouse migration
  tier: 2
  timezone: Europe/Dublin
  as_of: 2027-03-10
teams:
  - {id: dataplat, name: Data Platform, lead: chris.obi}
  - {id: bi, name: Business Intelligence, lead: mei.tan}
  - {id: northwind, name: Northwind Cloud Services (vendor), lead: ravi.patel}
  - {id: finops, name: FinOps, lead: gustavo.lima}
people:
  - {id: chris.obi, name: Christine Obi, email: c.obi@harbor.example, aliases: [Chris, "@cobi"], team: dataplat}
  - {id: chris.berg, name: Christopher Berg, email: chris.berg@harbor.example, aliases: [Chris], team: bi}
  - {id: mei.tan, name: Mei Tan, email: mei.tan@harbor.example, aliases: [Mei], team: bi}
  - {id: ravi.patel, name: Ravi Patel, email: ravi@northwind.example, team: northwind}
  - {id: gustavo.lima, name: Gustavo Lima, email: gustavo.lima@harbor.example, aliases: [Gus, "@gus"], team: finops}
  - {id: orla.byrne, name: Orla Byrne, email: orla.byrne@harbor.example, team: dataplat}
milestones:
  - {id: HM-1, name: Lakehouse landing zone ready, owner: chris.obi, team: dataplat, target_date: 2027-01-15,
     status: done, completed_on: 2027-01-20, critical_path: true}
  - id: HM-2
    name: Nightly batch cut over to Spark
    owner: orla.byrne
    team: dataplat
    target_date: 2027-03-05
    forecast_date: 2027-03-19
    forecast_history:
      - {changed_on: 2027-02-01, forecast: 2027-03-12}
      - {changed_on: 2027-03-03, forecast: 2027-03-19, reason: Spark shuffle tuning}
    status: at_risk
    critical_path: true
  - {id: HM-3, name: Finance dashboards on the lakehouse, owner: mei.tan, team: bi, target_date: 2027-04-02,
     status: planned, critical_path: true}
  - {id: HM-4, name: Warehouse switched off, owner: chris.obi, team: dataplat, target_date: 2027-06-30,
     status: planned}
dependencies:
  - {id: HD-1, deliverable: Private network link to the object store, provider_team: northwind, consumer_team: dataplat,
     due_date: 2027-01-10, status: delivered, delivered_on: 2027-01-09, milestone: HM-1}
  - {id: HD-2, deliverable: Spark cluster autoscaling policy, provider_team: northwind, consumer_team: dataplat,
     owner: ravi.patel, due_date: 2027-03-08, status: blocked, milestone: HM-2}
  - {id: HD-3, deliverable: Cost allocation tags on every bucket, provider_team: finops, consumer_team: dataplat,
     owner: gustavo.lima, due_date: 2027-03-20, status: at_risk, milestone: HM-3}
  - {id: HD-4, deliverable: Semantic layer for revenue metrics, provider_team: bi, consumer_team: dataplat,
     owner: mei.tan, due_date: 2027-03-30, status: in_progress, milestone: HM-3}
raid:
  - {id: HR-1, kind: R, title: Spark shuffle spills on the nightly batch, owner: orla.byrne, status: open,
     opened_at: "2027-01-05T10:00:00+00:00", last_progress_at: "2027-03-08T10:00:00+00:00", milestone: HM-2}
  - {id: HR-2, kind: R, title: GDPR erasure requests not propagated to parquet snapshots, owner: chris.berg,
     status: mitigating, opened_at: "2027-02-25T10:00:00+00:00", milestone: HM-3,
     description: Deletion jobs run on the warehouse only}
  - {id: HR-3, kind: R, title: Egress cost overrun during dual running, owner: gustavo.lima, status: closed,
     opened_at: "2026-12-01T10:00:00+00:00", closed_at: "2027-02-01T10:00:00+00:00"}
  - {id: HI-1, kind: I, title: Nightly batch misses the 6am deadline twice a week, owner: orla.byrne, status: open,
     opened_at: "2027-03-04T10:00:00+00:00", milestone: HM-2}
  - {id: HI-2, kind: I, title: Revenue dashboard totals differ from the warehouse, status: closed,
     opened_at: "2027-01-10T10:00:00+00:00", closed_at: "2027-02-10T10:00:00+00:00"}
decisions:
  - {id: HDEC-1, question: "Delta or Iceberg as the table format?", status: decided, decider: chris.obi,
     requested_at: "2026-11-02T10:00:00+00:00", decided_at: "2026-11-20T10:00:00+00:00", outcome: Iceberg}
  - {id: HDEC-2, question: "Keep the warehouse read-only for 30 or 90 days after the switch-off?", status: pending,
     decider: chris.obi, requested_at: "2027-02-20T10:00:00+00:00", needed_by: 2027-03-05, milestone: HM-4}
  - {id: HDEC-3, question: "Which BI tool renders the finance dashboards?", status: pending, decider: mei.tan,
     requested_at: "2027-03-01T10:00:00+00:00", needed_by: 2027-03-17, milestone: HM-3}
  - {id: HDEC-4, question: "Retention period for Iceberg snapshots?", status: pending, decider: gustavo.lima,
     requested_at: "2027-03-02T10:00:00+00:00", needed_by: 2027-04-30}
action_items:
  - {id: HA-1, task: Profile the shuffle stage of the nightly batch, owner: orla.byrne, due: 2027-03-08,
     created_at: "2027-03-01T10:00:00+00:00"}
  - {id: HA-2, task: Send the erasure propagation design to legal, owner: chris.berg, due: 2027-03-12,
     created_at: "2027-03-02T10:00:00+00:00"}
  - {id: HA-3, task: Tag the staging buckets, owner: gustavo.lima, due: 2027-03-01, status: done,
     created_at: "2027-02-20T10:00:00+00:00", completed_at: "2027-02-28T10:00:00+00:00"}
  - {id: HA-4, task: Book the switch-off communication slot, owner: chris.obi, due: 2027-04-20,
     created_at: "2027-03-05T10:00:00+00:00"}
readiness:
  - {id: HRD-1, release: HM-3, item: Dashboard owners signed off, owner: mei.tan, gate_date: 2027-03-30, done: false}
  - {id: HRD-2, release: HM-3, item: Row-level security tested, owner: chris.berg, gate_date: 2027-03-30, done: true,
     done_on: 2027-03-02}
corrective_actions:
  - {id: HCA-1, title: Alert on batch runs over 5 hours, incident: HINC-1, owner: orla.byrne, due: 2027-03-05}
incidents:
  - {id: HINC-1, title: Nightly batch overran into business hours, severity: 2,
     started_at: "2027-02-26T06:00:00+00:00", resolved_at: "2027-02-26T11:00:00+00:00"}
"""
