"""A fictional second institution, made by rewriting the development set.

Scoring is judged on institutions it has never seen, so the tests also score the dev set
with every institution-specific string replaced consistently (name, aliases, acronym,
domain, town, campuses, programs, official handles) and many bio templates re-phrased the
way another school's accounts might word them. Labels do not change: a rewritten clone is
still a clone. Lookalike handles are rebuilt by replaying their edits on the new official
handle, and homoglyph display names by re-applying look-alike characters.
"""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz.distance import OSA, Levenshtein

DEV = Path(__file__).resolve().parents[3] / "shared/eval/impersonation/dev"


@dataclass(frozen=True)
class Fiction:
    """A fictional institution: the replacements that turn the dev set into its scan."""

    location: str
    renames: tuple[tuple[str, str], ...]  # longest first; also compact/CamelCase spellings
    city_state: tuple[tuple[str, str], ...]


_OFFICES = (
    ("Financial Aid Desk", "Student Aid Desk"),
    ("Enrollment Team", "Registration Team"),
    ("Scholarship Committee", "Bursary Committee"),
    ("Tuition Office", "Fees Office"),
    ("Giveaways", "Prize Draw"),
    ("Student Grants", "Student Bursaries"),
)
CEDAR_VALLEY = Fiction(
    location="Lakeport, Ohio",
    renames=(
        ("Moore Norman Technology Center", "Cedar Valley Career Institute"),
        ("Moore Norman Technology", "Cedar Valley Career"),
        ("Moore Norman Tech", "Cedar Valley Institute"),
        ("Moore Norman", "Cedar Valley"),
        ("Norman Moore", "Valley Cedar"),
        ("MNTC", "CVCI"),
        ("Oklahoma City", "Columbus"),
        ("Oklahoma", "Ohio"),
        ("Norman", "Lakeport"),
        ("Moore", "Cedar"),
        ("Tulsa", "Dayton"),
        ("Franklin Road", "Harbor Street"),
        ("South Penn", "North Ridge"),
        ("Business and Industry Training", "Workforce Development"),
        ("Student Success Office", "Student Support Center"),
        ("Career Services", "Job Placement Office"),
        ("Culinary Arts", "Baking and Pastry"),
        ("Diesel Technology", "Heavy Equipment"),
        ("Surgical Technology", "Practical Nursing"),
        ("Graphic Design", "Digital Media"),
        ("Cybersecurity", "Network Security"),
        ("Medical Assisting", "Dental Assisting"),
        ("Automotive Service", "Collision Repair"),
        ("Esthetics Clinic", "Skin Care Clinic"),
        ("Nail Technology", "Nail Care"),
        ("HVAC", "Plumbing"),
        *_OFFICES,
        ("Early Care Education", "Child Development"),
    ),
    city_state=((", OK", ", OH"), ("mntc.edu", "cvci.edu"), ("mntc", "cvci")),
)
# Harder: the town is the distinctive part of the name and the acronym has three letters.
RIVERTON = Fiction(
    location="Riverton, Wyoming",
    renames=(
        ("Moore Norman Technology Center", "Riverton Technical College"),
        ("Moore Norman Technology", "Riverton Technical"),
        ("Moore Norman Tech", "Riverton Tech"),
        ("Moore Norman", "Riverton"),
        ("Norman Moore", "Lander Riverton"),
        ("MNTC", "RTC"),
        ("Oklahoma City", "Casper"),
        ("Oklahoma", "Wyoming"),
        ("Norman", "Riverton"),
        ("Moore", "Lander"),
        ("Tulsa", "Cody"),
        ("Franklin Road", "Main Street"),
        ("South Penn", "Airport"),
        ("Business and Industry Training", "Corporate Training"),
        ("Student Success Office", "Tutoring Center"),
        ("Career Services", "Career Center"),
        ("Culinary Arts", "Culinary Arts"),
        ("Diesel Technology", "Agriculture"),
        ("Surgical Technology", "Radiologic Technology"),
        ("Graphic Design", "Photography"),
        ("Cybersecurity", "Computer Science"),
        ("Medical Assisting", "Phlebotomy"),
        ("Automotive Service", "Auto Body"),
        ("Esthetics Clinic", "Barbering Clinic"),
        ("Nail Technology", "Massage Therapy"),
        ("HVAC", "Wind Energy"),
        *_OFFICES,
        ("Early Care Education", "Early Childhood"),
    ),
    city_state=((", OK", ", WY"), ("mntc.edu", "rtc.edu"), ("mntc", "rtc")),
)


# Bio templates as another school's accounts might word them (same meaning, same label).
REPHRASE: list[tuple[str, str]] = [
    ("Not affiliated with", "No connection to"),
    ("Unofficial ", "Fan-made "),
    ("Not run by the school.", "The school does not run this page."),
    ("Not official.", "Not an official page."),
    ("Fan page for", "A fan-made page for"),
    ("Not an official account.", "Not school-run."),
    ("personal account", "my own page"),
    ("Run by volunteers. We support", "Volunteers supporting"),
    ("but are a separate organisation.", "as a separate nonprofit."),
    ("Independent group.", "Run independently by families."),
    ("Be kind, no spam.", "Please keep it friendly."),
    ("Volunteer-run since", "Run by parent volunteers since"),
    ("Satire. Definitely not", "Satirical account. Obviously not"),
    ("Parody account.", "Just jokes, this is a parody."),
    (
        "Class schedules, competition results and student spotlights from",
        "Schedules, results and student highlights from",
    ),
    ("students and instructors at", "crew at"),
    ("News from the", "Updates from the"),
    ("Run by the", "Managed by the"),
    ("Tips, deadlines and dates from", "Reminders and dates from"),
    ("Walk-ins welcome Mon-Thu.", "Open to students Monday to Thursday."),
    ("posted by campus staff", "shared by campus staff"),
    ("Happenings at", "What's on at"),
    ("news, closures and events.", "announcements and closures."),
    ("Main program page:", "Main program account:"),
    ("We moved! This is now the main", "We have a new page! This is now the primary"),
    ("Follow for enrollment news.", "Follow for enrollment updates."),
    ("Now managed by the", "This page is now run by the"),
    (
        "New home of our page, the old account is retired.",
        "Our new home; the previous page has been closed.",
    ),
    (
        "The old one was hacked, please follow us here.",
        "Our previous page got hacked, follow this one instead.",
    ),
    ("Welcome to the official", "Welcome to the official page of"),
    (
        "our previous account was locked, follow us here",
        "our last account got locked, follow here instead",
    ),
    ("DM us to claim your", "Send us a message to receive your"),
    ("Limited spots!", "Few places left!"),
    ("secure your seat with a $50 deposit via CashApp", "hold your place with a $40 Zelle payment"),
    (
        "Apply for the 2027 student relief fund, link below",
        "Apply now for the 2027 emergency student fund using the link",
    ),
    (
        "Message us your student ID to check eligibility",
        "Send your student number to see if you qualify",
    ),
    ("Send your student ID to get started", "Share your student ID and date of birth to begin"),
    ("fast approvals, apply via link", "quick approval, apply through the link"),
    ("Message us to complete enrollment", "Message us to finish your enrollment"),
    ("Fees payable by DM.", "Pay fees through DM."),
    ("DM us to reserve a seat.", "Message us to hold your seat."),
    ("Proud ", "Forever proud "),
    ("Just a", "Only a"),
]
DISPLAY_REPHRASE = [("Memories", "Throwbacks"), ("I ♥", "Forever"), ("Fans", "Supporters")]
_CYRILLIC = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "c": "\u0441", "M": "\u041c"}
_LATIN = {v: k for k, v in _CYRILLIC.items()}
_LEET = {"o": "0", "e": "3", "t": "7", "a": "4", "l": "1", "i": "1", "s": "5"}


def _spellings(old: str, new: str) -> list[tuple[str, str]]:
    camel_old, camel_new = old.replace(" ", ""), new.replace(" ", "")
    pairs = [(old, new), (old.lower(), new.lower()), (camel_old, camel_new)]
    pairs += [(camel_old.lower(), camel_new.lower()), (old.upper(), new.upper())]
    return pairs


def _rename(text: str, fiction: Fiction, *, joined: bool = False) -> str:
    """`joined` for handles and URLs, where replacements must not bring spaces in."""
    for old, new in fiction.city_state:
        text = text.replace(old, new)
    pairs = [pair for old, new in fiction.renames for pair in _spellings(old, new)]
    if joined:
        pairs = [(old, new.replace(" ", "")) for old, new in pairs]
    pattern = re.compile("|".join(re.escape(o) for o, _ in sorted(pairs, key=lambda p: -len(p[0]))))
    table: dict[str, str] = {}
    for old, new in pairs:
        table.setdefault(old, new)
    return pattern.sub(lambda m: table[m.group()], text)


def _fold(handle: str) -> str:
    return re.sub(r"[._-]", "", handle.lower()).translate(str.maketrans("0137", "olet"))


def _transplant(old: str, variant: str, new: str) -> str:
    """Replays the edits that turned `old` into `variant` on `new`, at the same relative
    positions, so a typo of the old handle becomes the same kind of typo of the new one."""
    chars = list(new.lower() if variant.islower() else new)
    scale = len(new) / len(old)
    for op in reversed(list(Levenshtein.editops(old.lower(), variant.lower()))):
        tag, src_pos, dest_pos = str(op.tag), int(op.src_pos), int(op.dest_pos)
        pos = min(len(chars) - 1, max(0, round(src_pos * scale)))
        if tag == "delete":
            del chars[pos]
        elif tag == "insert":
            chars.insert(pos, chars[pos - 1] if pos else chars[0])
        else:
            typed = variant[dest_pos]
            chars[pos] = _LEET.get(chars[pos].lower(), "x") if typed.isdigit() else typed
    result = "".join(chars)
    if result.lower() == new.lower():
        result = new[:3] + new[2] + new[3:]
    assert result.lower() != new.lower(), (old, variant)
    assert OSA.distance(_fold(result), _fold(new)) <= 2, (old, variant, result)
    return result


def _handle(handle: str, officials: list[str], fiction: Fiction) -> str:
    """Officials longest first, so a typo of the long handle is not renamed piecemeal."""
    folded = _fold(handle)
    raw = re.sub(r"[._-]", "", handle.lower())
    for official in officials:
        old = _fold(official)
        if re.sub(r"[._-]", "", official.lower()) in raw:
            return _rename(handle, fiction, joined=True)
        if OSA.distance(folded, old) <= 2:
            new = _rename(official, fiction, joined=True).replace("_", "")
            return _transplant(old, re.sub(r"[._-]", "", handle), new)
    return _rename(handle, fiction, joined=True)


def _display(name: str, fiction: Fiction, rephrase: bool) -> str:
    disguised = sum(c in _LATIN for c in name)
    text = _rename("".join(_LATIN.get(c, c) for c in name), fiction)
    if rephrase:
        for old, new in DISPLAY_REPHRASE:
            text = text.replace(old, new)
    if disguised:
        out, left = [], disguised
        for c in text:
            if left and c in _CYRILLIC:
                out.append(_CYRILLIC[c])
                left -= 1
            else:
                out.append(c)
        text = "".join(out)
    return text


def build(
    target: Path, fiction: Fiction = CEDAR_VALLEY, *, rephrase: bool = True
) -> tuple[Path, Path, Path]:
    """Writes institution.yaml, profiles.jsonl, labels.jsonl and images/ under `target`."""
    shutil.copytree(DEV / "images", target / "images")
    data = yaml.safe_load((DEV / "institution.yaml").read_text(encoding="utf-8"))
    data["name"] = _rename(data["name"], fiction)
    data["aliases"] = [_rename(a, fiction) for a in data["aliases"]]
    data["domains"] = [_rename(d, fiction) for d in data["domains"]]
    data["location"] = fiction.location
    data["campuses"] = [_rename(c, fiction) for c in data["campuses"]]
    data["departments"] = [_rename(d, fiction) for d in data["departments"]]
    officials = sorted({a["handle"] for a in data["official_accounts"]}, key=len, reverse=True)
    for account in data["official_accounts"]:
        account["handle"] = _rename(account["handle"], fiction, joined=True)
        account["display_name"] = _rename(account["display_name"], fiction)
    institution = target / "institution.yaml"
    institution.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    rows = []
    for line in (DEV / "profiles.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["handle"] = _handle(row["handle"], officials, fiction)
        row["display_name"] = _display(row["display_name"], fiction, rephrase)
        bio = row["bio"]
        if rephrase:
            for old, new in REPHRASE:
                bio = bio.replace(old, new)
        row["bio"] = _rename(bio, fiction)
        row["url"] = _rename(row["url"], fiction, joined=True) if row["url"] else None
        row["location"] = _rename(row["location"], fiction) if row["location"] else None
        rows.append(json.dumps(row, ensure_ascii=False))
    profiles = target / "profiles.jsonl"
    profiles.write_text("\n".join(rows) + "\n", encoding="utf-8")
    labels = target / "labels.jsonl"
    shutil.copyfile(DEV / "labels.jsonl", labels)
    return institution, profiles, labels
