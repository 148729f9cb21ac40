"""Generic vocabulary: how scams, disclaimers, clubs and program pages tend to be worded.

Nothing here names a school, a place or a program: those come from the institution profile.
The lists are deliberately broad (synonyms, British and American spellings) because held-out
institutions phrase things differently from the development set; each entry should be a
phrase that carries its meaning on any school's account, not a copy of an observed bio.
"""

import re
from collections.abc import Iterable


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_CONTACT = r"(?:dm|d\.m\.|message|msg|inbox|pm|text|whats ?app|telegram|signal|email|e-mail)"
# "DM us", "message me", "send us a message", "drop us a DM".
_REACH = (
    r"(?:" + _CONTACT + r" (?:us|me)"
    r"|(?:send|drop|shoot|leave) (?:us|me) an? (?:dm|message|pm|text|line|note))"
)
_PRIVATE = r"(?:dm|dms|direct messages?|private messages?|pm|inbox|whats ?app|telegram)"

# Order matters: at one position the first alternative wins, so negated forms ("not the
# real", "not official") come before the claims they contain.
_PHRASES: dict[str, str] = {
    "warning": _any(
        r"scam alert",
        r"bewar\w*",
        r"watch out",
        r"will never ask",
        r"never (?:asks?|share|charges?|requests?)",
        r"(?:do|does|will) not (?:charge|ask for)",
        r"report (?:fake|scam)",
        r"(?:fake|scam) accounts? (?:are|is)",
    ),
    "disclaimer": _any(
        r"parod\w*",
        r"satir\w*",
        r"spoof",
        r"fan[- ]?(?:page|account|club|site|run|made)",
        r"(?:run|made|managed|organi[sz]ed) by (?:fans|volunteers|parents|alumni|students)",
        r"un-?official",
        r"non-?official",
        r"not (?:an? |the |our |their )?(?:official|verified|real)",
        r"not (?:affiliated|associated|connected|endorsed|sponsored|run|operated|managed"
        r"|owned|approved|authori[sz]ed|linked)",
        r"(?:un|non-?)affiliated",
        r"no (?:affiliation|connection|official link)",
        r"no (?:ties|connection|link|relationship|association) (?:to|with)",
        r"nothing to do with",
        r"not (?:a |an )?(?:school|district|college|university)[- ](?:run|affiliated|sponsored"
        r"|operated|endorsed|managed)",
        r"not (?:the|an?) (?:school|college|district|university)(?:'s)? (?:page|account)",
        r"independent(?:ly)?",
        r"separate (?:organi[sz]ation|group|entity|charity|nonprofit|non-profit)",
        r"volunteer[- ](?:run|led|based)",
        r"personal (?:account|page|blog|views|opinions)",
        r"(?:views|opinions|tweets|posts|thoughts) (?:are )?(?:my|our|mine) own",
        r"(?:my|our) own (?:views|opinions)",
        r"(?:definitely|certainly|clearly|obviously) not(?: (?:an? |the )?(?:official|real))?",
        r"just (?:an? )?(?:fan|parent|student|mom|mum|dad|alum\w*|grad)",
        r"for (?:fun|laughs|entertainment)",
        r"memes?",
        r"jokes?",
    ),
    "takeover": _any(
        r"we(?:'ve| have)? moved",
        r"(?:new|backup|alternate|alternative|temporary|replacement) (?:home|page|account|profile)",
        r"(?:old|previous|former) (?:one|account|page|profile)",
        # An account's fate, not a person's: "our old page was disabled", "we got hacked" —
        # never a bare "retired" ("retired welding instructor", "retired faculty").
        r"(?:account|page|profile|handle)\W+(?:\w+\W+){0,3}?"
        r"(?:hacked|compromised|locked|disabled|suspended|deactivated|retired|deleted|restricted)",
        r"follow (?:us )?here (?:for|until)",
        r"until (?:it|the (?:main|old|other) (?:account|page))(?:'s| is) (?:restored|back|fixed)",
        r"(?:hacked|compromised|locked|disabled|suspended|deactivated|deleted) "
        r"(?:account|page|profile)",
        r"(?:got|was|were|been) (?:hacked|compromised)",
        r"follow us (?:here|instead|now)",
        r"now (?:the |our )?(?:main|primary)",
        r"now (?:managed|run|operated|handled) by",
        r"(?:moved|migrated|switched|transferred) (?:to|here|over)",
        r"lost access",
        r"under new management",
        r"this is (?:now )?(?:our|the) (?:new|main|only|primary)",
    ),
    "claim": _any(
        r"official",
        r"the real",
        r"real (?:\w+ ){0,4}(?:page|account|profile)",
        r"(?:verified|authentic|genuine) (?:page|account|profile)",
        r"only (?:page|account|profile)",
    ),
    "payment": _any(
        r"[$£€]\s?\d[\d,.]*\d|[$£€]\s?\d",
        r"\d+\s?(?:usd|dollars|pounds|euros)",
        r"deposits?",
        r"payable(?: (?:by|via|through|in|over) " + _PRIVATE + ")?",
        r"(?:processing|application|registration|holding|reservation|release|admin) fees?",
        r"cash ?app",
        r"venmo",
        r"zelle",
        r"paypal",
        r"gift ?cards?",
        r"wire (?:transfer|the|money)",
        r"bitcoin|crypto|usdt",
        r"western union|money ?gram",
        r"pay (?:(?:the|a|your|for|only) )?(?:now|here|via|by|with|us|online|upfront|fees?"
        r"|shipping|postage|handling|deposit|processing)",
    ),
    "credentials": _any(
        r"student (?:id|number|login|portal login)",
        r"(?:id|ssn) (?:number|card|photo)",
        r"passwords?|passcodes?",
        r"log ?in (?:details|info|credentials)",
        r"(?:log ?in|account|your|portal|sign-?in) credentials",
        r"\bssn\b|social security",
        r"bank (?:details|account|info)",
        r"(?:account|card|routing) (?:number|details)",
        r"verification code|one[- ]time code|\botp\b|\bpin\b",
        r"date of birth",
        r"verify your (?:identity|account|details|information)",
        r"(?:photo|picture|screenshot|scan|copy) of your (?:[\w']+ )?(?:id|card|license|licence"
        r"|passport)",
    ),
    "private": _any(
        _REACH + r"(?: now| today| directly| privately)?(?: to)? (?:claim|reserve|secure"
        r"|complete|finish|finali[sz]e|process|verify|confirm|receive|collect|unlock|activate"
        r"|pay|redeem|release|hold|get (?:your|paid)|check your)",
        _CONTACT + r" (?:us|me) your",
        r"kindly (?:send|inbox|dm|message|pay|contact)",
    ),
    "lure": _any(
        r"claim (?:your|the|a|now)",
        r"(?:receive|collect|get|claim|redeem) (?:your|the|a|an) (?:[\w$-]+ ){0,5}?"
        r"(?:grant|refund|payment|funds?|award|bursary|scholarship|stipend|laptop|prize|cash)",
        r"(?:few|limited|only \d+) (?:spots|seats|places|slots) (?:left|remaining|available)",
        r"(?:emergency|relief|hardship|stimulus) (?:\w+ )?(?:fund|grant|aid|payment|money)s?",
        r"limited (?:spots|seats|places|slots|time)",
        r"(?:fast|quick|instant|same[- ]day|guaranteed) (?:approvals?|approved|payouts?|cash)",
        r"guaranteed",
        r"pre-?approved",
        r"relief (?:fund|grant|payments?)",
        r"secure your (?:seat|spot|place|grant|funds?|award)",
        r"reserve (?:your|a) (?:seat|spot|place)",
        r"check (?:your )?eligibility",
        r"apply (?:via|through|using|with|at) (?:the |this |our )?link",
        r"link below",
        r"(?:click|tap) (?:the |this )?link",
        r"act (?:now|fast)",
        r"hurry",
        r"you(?:'ve| have)? won",
        r"unclaimed",
        r"(?:debt|loan) (?:relief|forgiveness)",
        r"(?:free|cash) (?:money|laptops?|ipads?|iphones?|tablets?|tuition|textbooks?|books)",
    ),
    "money": _any(
        r"fees?",
        r"grants?",
        r"refunds?",
        r"scholarships?",
        r"bursar(?:y|ies)",
        r"stipends?",
        r"funds?",
        r"awards?",
        r"prizes?",
        r"giveaways?",
    ),
    "contact": _any(
        _REACH,
        r"(?:by|via|through|in|over) " + _PRIVATE,
        r"link in (?:bio|profile)",
        r"(?:using|via|through) (?:the|this) link",
    ),
    "org": _any(
        r"associations?",
        r"\bpta\b|\bpto\b|\bptsa\b|\bptso\b|\bpac\b",
        r"boosters?",
        r"parents? (?:group|network|club|council|circle)",
        r"car ?pool\w*",
        r"ride ?shar\w*",
        r"classmates",
        r"reunions?",
        r"meet-?ups?",
        r"fundrais\w*",
        r"(?:a )?group for",
        r"a place for",
        r"connect and share",
        r"be kind",
        r"no spam",
        r"volunteers?",
        r"non-?profit|charity",
        r"community (?:[\w-]+ ){0,2}?(?:club|league|group|organi[sz]ation|team)",
        r"paid for by|(?:levy|campaign|citizens'?) committee|committee (?:for|to elect)",
        r"\bunion\b|\blocal \d+|organized",
    ),
    "personal": _any(
        r"\b(?:i|i'm|im|my|me|mine)\b",
        r"\b(?:mom|mum|dad|mother|father|wife|husband|grandma|grandpa|mama|papa)\b",
        r"\b(?:an? )(?:student|grad|graduate|alum\w*|instructor|teacher|tutor)\b",
        r"\b(?:grad|graduate|alum|alumna|alumnus) of\b",
        r"\b(?:learning|studying|native|believer|addict|lover|gamer|enthusiast)\b",
        r"\b(?:he|she|they)/(?:him|her|them)\b",
    ),
    "business": _any(
        r"family[- ]owned",
        r"\bllc\b|\bltd\b",
        r"call (?:us|now|today)",
        r"serving (?:[\w,]+ ){1,4}since",
        r"wholesale",
        r"free (?:estimates?|quotes?|delivery)",
        r"licensed and insured",
        r"realtor|real estate",
        r"shop (?:now|online)",
        r"order (?:now|online)",
        r"find your (?:home|dream)",
    ),
    "news": _any(
        r"local news",
        r"covering",
        r"newsroom",
        r"news tips?",
        r"tips:",
        r"breaking news",
        r"reporting on",
        r"headlines",
    ),
    "staff": _any(
        r"posted by|posts by",
        r"run by (?:the|our)",
        r"supervised by",
        r"(?:directed|coached|taught|led) by (?:mr|ms|mrs|dr|coach)\b",
        r"(?:directors?|advis[eo]rs?)[:,] (?:mr\.? |ms\.? |mrs\.? |dr\.? )?[^\W\d_]+",
        r"(?:coach(?:es)?|principal|librarian|counselor|advis[eo]rs?)[:,]? (?:mr\.? |ms\.? "
        r"|mrs\.? |dr\.? )?[^\W\d_]{3,}",
        r"(?:kept|maintained|managed|moderated|run) by (?:the |our )?(?:[\w-]+ ){0,2}?"
        r"(?:instructors?|teachers?|staff|faculty|advis[eo]rs?|coach\w*)",
        r"(?:instructor|teacher|staff|faculty|advis[eo]r|coach)-(?:run|managed|led|kept)",
        r"advis[eo]rs?:",
        r"coaching staff",
        r"student-produced",
        r"\w+ (?:dept|department)\b",
        r"(?:students|instructors|staff|faculty|teachers) (?:and|&) (?:instructors|staff"
        r"|students|faculty|teachers)",
        r"our (?:[\w-]+ ){0,3}?(?:students|instructors|staff|program|programme|department|office"
        r"|team|campus|classes|courses|chapter|classrooms?|labs?|shop|salon|kitchen|clinic"
        r"|juniors|seniors|freshmen|sophomores|apprentices|trainees|cohorts?|advisors|advisers)",
        r"(?:the|this) (?:[\w-]+ ){1,4}?(?:program|programme|department)",
        r"(?:from|by) (?:our |the )?(?:[\w-]+ ){0,3}?(?:advisors|advisers|instructors|faculty"
        r"|teachers|coaches)",
        r"open (?:\d|mon\w*|tue\w*|wed\w*|thu\w*|fri\w*|sat\w*|sun\w*|daily|weekdays|until)",
        r"(?:study|lab|open|drop-in|service|opening) hours",
        r"book (?:through|via|with|at|online|an appointment|your appointment)",
        r"front (?:desk|office)",
        r"(?:class|course|program|programme) (?:schedules|updates|info|news|dates)",
        r"enrol(?:l)?ment (?:info|information|details)",
        r"news from",
        r"walk-ins",
        r"office hours",
        r"spotlights?",
        r"happenings",
        r"closures",
        r"deadlines",
        r"student(?:-run| run|-led)",
        r"student (?:life|work|projects|salon|clinic|shop|kitchen|cooks|chefs|teachers|photo\w*"
        r"|showcase|portfolios?|competitions?)",
    ),
}


# One pass over the text: the shared look-behind rejects positions inside a word before any
# alternative is tried, which is most of the cost of a large alternation.
def _compile(names: Iterable[str]) -> re.Pattern[str]:
    wanted = set(names)
    bodies = [f"(?P<{n}>{body}(?!\\w))" for n, body in _PHRASES.items() if n in wanted]
    return re.compile(r"(?<!\w)(?:" + "|".join(bodies) + ")")


# Groups inside an alternative do not capture, so a match's lastgroup is its category.
_PATTERN = _compile(_PHRASES)
# Display names are a few words: only what a name can say is looked for there.
_NAME_PATTERN = _compile(("warning", "disclaimer", "claim", "payment", "private", "lure"))


SCAMS = {
    "payment": "brings up payment",
    "credentials": "asks for IDs, passwords or bank details",
    "private": "moves the conversation to private messages",
    "lure": "dangles money or a deadline",
}


def cues(text: str, *, name: bool = False) -> dict[str, str]:
    """Category -> the first phrase of that category in already case-folded `text`, so a
    reason can quote what the account actually says. `name` for display names."""
    found: dict[str, str] = {}
    for match in (_NAME_PATTERN if name else _PATTERN).finditer(text):
        if match.lastgroup is not None:
            found.setdefault(match.lastgroup, match.group())
    return found
