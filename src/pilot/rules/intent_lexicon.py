"""The words of the question grammar: record kinds, state words, durations, graph relations and
the phrasing around them. Pure data; `rules.intents` applies it in order, most specific first.

Each entry is (pattern, value). Patterns run on the lower-cased question after names, teams and
milestones have been replaced by placeholders (⟨p⟩ person, ⟨t⟩ team, ⟨m⟩ milestone, ⟨r⟩ record).
"""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
    "couple of": 2,
    "a couple of": 2,
    "few": 3,
    "a few": 3,
}
UNIT_DAYS = {"day": 1, "business day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 91, "year": 365}

_NUMBER = r"(?P<n>\d+|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>business day|day|week|fortnight|month|quarter|year)s?"
DURATION = re.compile(rf"(?:{_NUMBER}[\s-]+)?{_UNIT}\b")

# What stands before a duration decides its role.
WINDOW_NEXT = re.compile(
    r"\b(?:(?:in|within|over|during|for)\s+)?(?:the\s+)?(?:next|coming|upcoming|following)\s+$|\bwithin\s+(?:the\s+)?$"
    r"|\b(?:due|land|lands|landing|needed|expected)\s+in\s+$|\bin\s+the\s+next\s+$"
)
WINDOW_LAST = re.compile(
    r"\b(?:in|within|over|during|for)?\s*(?:the\s+)?(?:last|past|previous|recent|prior)\s+$"
    r"|\bthis\s+past\s+$"
)
OLDER = re.compile(
    r"\b(?:older than|more than|over|longer than|at least|in excess of|beyond|upwards of|for more than|for over|"
    r"for at least|for longer than|for)\s+$"
)
STALE_CUE = re.compile(
    r"\b(?:progress|update[ds]?|updating|touched|untouched|moved|movement|activity|worked on|stale|quiet|idle|"
    r"changed|no news|heard)\b"
)
# "this week" and "next week" are calendar weeks; "the next week" and "within a week" are 7 days.
CALENDAR_WEEK = re.compile(r"(?<!the\s)(?<!within\s)(?<!in\s)(?<!over\s)\b(?P<which>this|next)\s+week\b")

# Graph relations around a milestone placeholder.
BLOCKING = re.compile(
    r"\b(?:block(?:ing|s|ed)?|blockers?\s+(?:for|on|of|to)|holding\s+up|hold(?:s|ing)?\s+up|holding\s+back|"
    r"(?:stands?|standing|in)\s+(?:in\s+)?the\s+way\s+of|stands?\s+between\s+us\s+and|gating|gates?|gated\s+on|"
    r"preventing|stopping|impeding|hang(?:s|ing)?\s+over|keeping\s+back|waiting\s+on|needed\s+(?:for|by)|"
    r"obstacles?\s+(?:to|for))\s+(?:the\s+)?(?=⟨m⟩)"
)
THREATENING = re.compile(
    r"\b(?:at[\s-]risk\s+(?:for|to|on|with|in)|risks?\s+(?:to|for|against|on)|threaten(?:s|ing)?|jeopardi[sz]es?|"
    r"could\s+(?:derail|delay|sink|hurt)|derail(?:s|ing)?|endanger(?:s|ing)?|puts?\s+at\s+risk|putting\s+at\s+risk|"
    r"risky\s+(?:for|about))\s+(?:the\s+)?(?=⟨m⟩)"
)
# "What is blocking the ledger?": a relation whose target is a topic, not a named milestone.
BLOCKING_TOPIC = re.compile(
    r"\b(?:blocking|holding\s+up|holds?\s+up|in\s+the\s+way\s+of|gating|preventing|stopping|impeding)\b"
)
THREATENING_TOPIC = re.compile(
    r"\b(?:threaten(?:s|ing)?|jeopardi[sz]es?|derail(?:s|ing)?|endanger(?:s|ing)?)\b"
)
PUTS_AT_RISK = re.compile(
    r"\bput(?:s|ting)?\s+(?:the\s+)?⟨m⟩\s+at\s+risk\b|\b⟨m⟩\s+(?:is\s+)?at\s+risk\s+(?:from|because)"
)
BEFORE_MILESTONE = re.compile(
    r"\b(?:before|ahead\s+of|prior\s+to|in\s+front\s+of|ahead)\s+(?:the\s+)?(?=⟨m⟩)"
)
NEXT_MILESTONE = re.compile(
    r"\b(?:the\s+|our\s+)?(?:next|upcoming|coming|nearest|soonest|imminent)\s+milestone\b"
)

# Kinds, most specific first ("corrective action" before "action", "at risk" handled as a state).
KINDS: tuple[tuple[str, str], ...] = (
    (
        r"corrective[\s-]actions?|postmortem\s+(?:actions?|items?|follow[\s-]?ups?)|remediation\s+items?|\bcapas?\b",
        "corrective",
    ),
    (
        r"readiness(?:\s+(?:items?|checklist|list|tasks?|criteria|gates?))?|go[\s/-]*no[\s-]*go\s+(?:items?|checklist|list)|"
        r"launch\s+checklist|(?:the\s+)?checklist(?:\s+items?)?",
        "readiness",
    ),
    (r"change\s+requests?|scope\s+changes?|\bcrs\b", "change"),
    (r"action[\s-]items?|\bactions?\b|\bais\b|\btasks?\b|to[\s-]?dos?|follow[\s-]?ups?", "action"),
    (r"incidents?|outages?|\bsev[\s-]?\d\b|\bsev\d?s\b|\bp[1-4]s?\b", "incident"),
    (r"dependenc(?:y|ies)|\bdeps?\b|deliverables?|hand[\s-]?offs?|\bdeliveries\b", "dependency"),
    (
        r"decisions?|\bdecid(?:e|ed|ing)\b|\bagreed?\b|\bsettled?\b|\bland(?:ed)?\s+on\b|\bconclu(?:de|ded|sion)\b|"
        r"\bcall\s+(?:on|about)\b|\bchose|\bchoice\b|\bundecided\b",
        "decision",
    ),
    (r"milestones?|\breleases?\b", "milestone"),
    (r"\braid(?:\s+(?:log|items?|entries|entry|register))?\b", "raid"),
    (r"\bassumptions?\b", "assumption"),
    (r"\bissues?\b|\bproblems?\b", "issue"),
    (r"(?<!\bat\s)(?<!\bat-)\brisks?\b|\brisky\b", "risk"),
)

# State words. Negated forms first: "unresolved" and "not done" are open, not done.
STATES: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:not\s+(?:yet\s+)?(?:done|complete[d]?|finished|closed|delivered|resolved|made|decided|taken|ready))\b|"
        r"\bun(?:resolved|finished|decided|made|done|closed)\b|\bincomplete\b|\bhave\s+not\s+been\s+(?:made|taken|decided)\b|"
        r"\b(?:yet\s+to\s+be|still\s+to\s+be|remains?\s+to\s+be|left\s+to\s+be|needs?\s+to\s+be)\s+\w+|"
        r"\bto\s+be\s+(?:done|completed|finished|closed|delivered|decided|made)\b",
        "open",
    ),
    (
        r"\b(?:slipped\s+|gone\s+|run\s+|slipping\s+)?past\s+(?:its\s+|their\s+|the\s+)?(?:due|needed[\s-]by|need[\s-]by|deadline|target|gate)(?:\s+dates?)?\b|"
        r"\b(?:slipped\s+|gone\s+|run\s+|slipping\s+)?past\s+(?:its|their|the)\s+(?:dates?|deadlines?)\b|"
        r"\bpast[\s-]due\b|\boverdue\b|\bmissed\s+(?:its\s+|their\s+|the\s+)?(?:due\s+|needed[\s-]by\s+|need[\s-]by\s+)?(?:dates?|deadlines?)\b|"
        r"\b(?:blown|blew|gone|went|sailed)\s+(?:through|past|by)\s+(?:its\s+|their\s+|the\s+)?(?:(?:due|needed[\s-]by|need[\s-]by|target|gate)\s+)?(?:dates?|deadlines?)\b|"
        r"\bblown\s+(?:its\s+|their\s+)?(?:due\s+)?(?:dates?|deadlines?)\b|\bshould\s+have\s+been\s+\w+(?:\s+already)?\b|"
        r"\bbehind\s+on\b",
        "overdue",
    ),
    (
        r"\bforecast(?:ed)?\s+(?:to\s+land\s+)?(?:later|after|past|beyond)\s+(?:than\s+)?(?:its\s+|their\s+|the\s+)?"
        r"(?:target|plan(?:ned)?)(?:\s+dates?)?\b|\bslip(?:ped|ping|s|page)?\b|\bpushed\s+(?:out|back|right)\b|"
        r"\bmoved\s+(?:out|right|back|later)\b|\bdelayed\b|\b(?:forecast\s+to|going\s+to|will|set\s+to|expected\s+to)\s+miss(?:\s+(?:its|their|the)\s+target(?:\s+dates?)?)?\b|"
        r"\bmiss(?:ing)?\s+(?:its\s+|their\s+|the\s+)?target(?:\s+dates?)?\b|\bbehind\s+(?:schedule|plan|target)\b|\bre-?forecast\s+later\b",
        "slipped",
    ),
    (r"\blate\b|\bbehind\b|\brunning\s+late\b", "late"),
    (r"\bat[\s-]risk\b|\bin\s+jeopardy\b|\bflagged\s+red\b", "at_risk"),
    (r"\bblocked\b|\bstuck\b", "blocked"),
    (
        r"\b(?:gone|going|gotten|got)\s+stale\b|\bstale\b|\bno\s+(?:progress|update[s]?|movement|activity)\b|\bnot\s+(?:had\s+)?(?:any\s+)?(?:progress|updated?|touched|moved)\b|"
        r"\bwithout\s+(?:any\s+)?(?:progress|update[s]?)\b|\buntouched\b|\bgone\s+quiet\b|\bidle\b",
        "stale",
    ),
    (
        r"\bdecided\b|\bagreed\b|\bsettled\b|\blanded\b|\bconcluded\b|\bchose\b|\bchosen\b|\bland\s+on\b|\bwent\s+with\b",
        "decided",
    ),
    (r"\bdone\b|\bcomplete[d]?\b|\bfinished\b|\bclosed\b|\bdelivered\b|\bresolved\b|\bshipped\b", "done"),
    (
        r"\bopen\b|\bpending\b|\boutstanding\b|\bremain(?:s|ing)?\b|\bleft\b|\bwaiting\b|\bawaiting\b|\bunanswered\b|"
        r"\bin[\s-]flight\b|\bin\s+progress\b|\bactive\b|\bstill\b|\bcurrent(?:ly)?\b|\bowe[sd]?\b|\bon\s+the\s+hook\b|"
        r"\bcarrying\b|\bplate\b|\bneed\s+to\s+(?:make|decide|take)\b|\bto\s+be\s+made\b|\bnot\s+yet\b|\byet\b",
        "open",
    ),
)

# Timeliness said as a phrase: "haven't landed on time", "not delivered on schedule", "failed to
# arrive in time" are late; read before the kinds, so "landed on" is not taken for a decision.
NOT_ON_TIME = re.compile(
    r"\b(?:not|never|failed\s+to|fail(?:ed|ing)?\s+to)\s+(?:yet\s+|been\s+|be\s+)?(?:[a-z]+\s+){0,2}?"
    r"(?:on|in)\s+(?:time|schedule)\b|\boff\s+schedule\b"
)

# "Who owns ..." and its paraphrases: the answer is the record, its owner named.
OWNER_QUESTION = re.compile(
    r"^\s*(?:who|whose|which\s+person|which\s+people|owner\s+of|who\s+is\s+the\s+owner)\b|\bwho\s+(?:owns|is\s+on)\b"
)
TOPIC_CUE = re.compile(
    r"\b(?:about|regarding|concerning|re:?|around|on|over|mention(?:s|ing)?|related\s+to|to\s+do\s+with|covering|"
    r"called|named|titled)\s+(?:the\s+)?(?:topic\s+of\s+)?(?=[a-z0-9])"
)
COUNT = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\s+(?:of|the)\b|\bhow\s+much\b|^\s*count\b")
CRITICAL_PATH = re.compile(r"\b(?:on\s+the\s+)?critical[\s-]path\b|\bcritical\b")
SEVERITY = re.compile(r"\b(?:sev(?:erity)?[\s-]?|p)(?P<level>[1-5])s?\b")
REASONS = re.compile(r"\bwhy\b|\breason(?:s|ing)?\b|\brationale\b|\bhow\s+come\b|\bwhat\s+led\b")
ALL_STATES = re.compile(
    r"\b(?:all|every|ever|any\s+status|whatever\s+(?:the\s+)?status|including\s+closed)\b"
)

# Questions about what was said or discussed are for the documents, not the records.
SPEECH = re.compile(
    r"\b(?:say|said|says|tell|told|mention(?:ed)?|talk(?:ed)?|discuss(?:ed|ion)?|think|thought|explain(?:ed)?|"
    r"propos(?:e|ed|al)|suggest(?:ed)?|meeting|minutes|transcript|standup|stand-up|sync|argue[ds]?|complain(?:ed)?)\b"
)

# Words of the question's phrasing, never a topic.
PHRASING = frozenset(
    """
    a an the and or but of to in on at by for with from as is are was were be been being it its this that these those
    there their they them he she his her we our us you your i me my not no do does did done will would can could should
    shall may might must have has had so if then than also about into over after before up down out what who whom whose
    when where which how why any anything everything something all every each some whats whos wheres hows still yet
    now right moment currently current today just really actually please show list give tell let know see find get got
    name names point holding holds hold held owns own owned owner owners owning on hook plate carrying carry carries
    sit sits sitting with assigned responsible accountable handling handle managing manage driving drive looking after
    charge remind agreed agree decide decided deciding decision decisions land landed landing settle settled
    happened happen made make making call status state update latest news progress going go where stand things
    thing stuff item items entries entry record records log logs open pending outstanding left remain remaining
    waiting wait awaiting new added raised logged created opened come came up many much number count total
    flagged marked listed mentioned mention mentions related regarding concerning around re topic
    supposed need needs needed needing owe owes owed deliver delivering provide providing expect expected
    question questions ask asked answer us anyone someone somebody people person team teams program overall across
    whole entire across currently ones one kind kinds sort type types exactly particular specific
    quick quickly summary summarize recap wrt regard plan planned due deadline deadlines
    ago old older days day weeks week months month next last past coming upcoming within during since until
    already ever far happening work working worked lately recently recent further again fall falls falling
    take taken takes taking made put puts keep kept look looks looking seem seems like need needs soon anything
    something everything nothing around across via per into onto toward towards among amongst while whilst
    """.split()
)
