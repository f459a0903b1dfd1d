"""The danger-word backstop: danger to a person now, found by words alone.

It needs no model, so it still answers when the classifier's files are missing, and it is the
one check a reviewer can read line by line. People in a crisis type fast, on a phone, often
without punctuation, so the text is normalised first:

1. lower case, one kind of apostrophe, punctuation to spaces;
2. text-speak to words ("shes" -> "she's", "sez" -> "says", "n" -> "and", "2nite" -> "tonight");
3. a misspelt danger word becomes the word ("nife" -> "knife", "windw" -> "window", "kil" ->
   "kill"): one edit away (two for long words), unless the token is itself an English word
   (`near_words.txt`: "bill", "will" and "still" must never turn into "kill").

Then the patterns look for a *situation*, not a word: a weapon, a threat to kill, strangling, an
attack, an injury or a break-in happening now, being shut in, fire, gas, a car or water used to
harm, poison, a plea for the police. Housing phrases that borrow those words ("knife drawer",
"fire door", "gas safety check", "the tap is bleeding rust", "this bill will be the death of me")
are removed before the patterns run.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

# Whole tokens, after lower-casing and removing punctuation other than apostrophes.
TEXT_SPEAK = {
    "n": "and",
    "nd": "and",
    "u": "you",
    "ur": "your",
    "r": "are",
    "2": "to",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "wiv": "with",
    "wid": "with",
    "thru": "through",
    "jus": "just",
    "jst": "just",
    "gt": "got",
    "av": "have",
    "ave": "have",
    "rn": "right now",
    "nw": "now",
    "sez": "says",
    "ses": "says",
    "sayz": "says",
    "sed": "said",
    "gona": "gonna",
    "gunna": "gonna",
    "gna": "gonna",
    "tryin": "trying",
    "hes": "he's",
    "shes": "she's",
    "theyre": "they're",
    "im": "i'm",
    "ive": "i've",
    "hell": "he'll",
    "shell": "she'll",
    "theyll": "they'll",
    "wont": "won't",
    "cant": "can't",
    "dont": "don't",
    "didnt": "didn't",
    "isnt": "isn't",
    "aint": "isn't",
    "hasnt": "hasn't",
    "cos": "because",
    "coz": "because",
    "ma": "my",
    "da": "the",
    "tha": "the",
    "wit": "with",
    "b4": "before",
    "kidz": "kids",
    "helo": "hello",
    "hllo": "hello",
}


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: The words the patterns below are written with; a misspelling of one becomes the word.
LEXICON = _wordset(
    """
    knife knives blade machete weapon hammer scissors bottle stabbed stabbing stab stabs kill
    kills killing killed murder murdering shoot shooting strangle strangled strangling
    strangles choke choked choking chokes suffocate suffocating breathe breathing throat neck
    hitting beating kicking punching attacking hurting raping battering bashing slapping smash
    smashed smashing smashes bleeding blood unconscious breaking broken window windows door
    threatening threatened threaten threatens police ambulance petrol lighter burning drown
    drowning poison poisoned danger terrified scared trapped locked outside please help tonight
    coming through
    """
)

_NEAR_WORDS_FILE = Path(__file__).with_name("near_words.txt")

_PUNCTUATION = re.compile(r"[^\w'\s]|_")
_LONG = 8  # a lexicon word this long may be two edits away


@cache
def near_words() -> frozenset[str]:
    """English words close to a lexicon word, which are never corrected (see the file)."""
    lines = _NEAR_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if (w := line.strip()) and not w.startswith("#"))


def within_reach(token: str, word: str) -> bool:
    """The fuzzy rule: one edit (a swap counts as one) from a word of 4+ letters, two from 8+."""
    if len(word) < 4 or len(token) < 3:
        return False
    limit = 2 if len(word) >= _LONG and len(token) >= _LONG - 2 else 1
    return OSA.distance(token, word, score_cutoff=limit) <= limit


def _corrected(token: str) -> str:
    if token in TEXT_SPEAK:
        return TEXT_SPEAK[token]
    if len(token) < 3 or not token.isalpha() or token in LEXICON or token in near_words():
        return token
    reachable = [w for w, _, _ in extract(token, LEXICON, scorer=OSA.distance, score_cutoff=2)]
    reachable = [w for w in reachable if within_reach(token, w)]
    if not reachable:
        return token
    # Fewest edits first; on a tie the closer shape ("smashd" -> "smashed", not "smash").
    return min(reachable, key=lambda w: (OSA.distance(token, w), -fuzz.ratio(token, w)))


def normalise(text: str) -> str:
    """Lower-cased words with text-speak expanded and misspelt danger words corrected."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").lower()
    text = _PUNCTUATION.sub(" ", text)
    tokens = (token.strip("'") for token in text.split())
    return " ".join(_corrected(token) for token in tokens if token)


# Housing, money, garden and trade phrases with a danger word in them that are not danger to a
# person, and coercion that is serious but not danger this minute (a threat of suicide if she
# leaves, being cut off from friends): removed before the danger patterns read the text.
_NOT_DANGER = re.compile(
    r"""
    \b(?:glue|sealant|caulk\w*|grout|nail|staple|heat|spray|silicone|mastic|water|paint)\s+guns?\b
    | \b(?:stanley|craft|utility|putty|palette|filling|bread|butter|carving)\s+knif(?:e|es)\b
    | \bknif(?:e|es)\s+(?:drawers?|blocks?|racks?|sharpeners?|holders?|sets?)\b
    | \bbleed\w*\s+(?:the\s+|my\s+|all\s+the\s+)?radiators?\b
    | \bradiators?\s+(?:needs?|needed|want|wants|is|are|was)\s+bleeding\b
    | \b(?:taps?|pipes?|radiators?|walls?|ceilings?|paint|colou?rs?|dyes?|ink|rust)
      \s+(?:is\s+|are\s+|keeps?\s+)?bleeding\b
    | \bbleeding\s+(?:rust|water|colour|color|dye|through)\b
    | \bchoked\s+(?:drains?|sinks?|toilets?|gull(?:y|ies)|pipes?)\b
    | \b(?:drains?|sinks?|toilets?|gull(?:y|ies)|pipes?|fans?|filters?)
      \s+(?:is|are|was|were|keeps?\s+getting)\s+choked\b
    | \bfire\s+(?:doors?|exits?|escapes?|alarms?|blankets?|extinguishers?|safety|risk|brigade
      |service|check|drill|regulations?)\b
    | \bgas\s+(?:safety|checks?|service|servicing|engineers?|meters?|bills?|supply|supplier
      |certificate|inspections?|fires?|hobs?|cookers?)\b
    | \b(?:smoke|carbon\s+monoxide|co)\s+alarms?\b
    | \bin\s+danger\s+of\b
    | \b(?:rent|bills?|debts?|arrears|prices?|heating|cold|damp|mould|mold|noise|stairs
      |boiler|back|feet|legs|knees|head|headache|job|work|council\s+tax|energy|commute|wait)\b
      (?:\s+[\w']+){0,4}?\s+(?:kill|killing)\s+(?:me|us|them)\b
    | \b(?:mould|mold|damp|dust|smoke|fumes|smell|leaves|weeds|fans?|filters?)
      \s+(?:is\s+|are\s+|keeps?\s+)?chok\w*\b
    | \bguns?\s+for\s+(?:the\s+)?(?:sealant|glue|silicone|caulk|mastic|nails?|grease)\b
    | \bdeath\s+trap\b
    | \b(?:kill|killing|poison\w*)\s+(?:the\s+)?(?:rats?|mice|wasps?|weeds?|pests?|bugs?
      |cockroach\w*|ants?|flies|slugs?|moss|nest)\b
    | \bdrown\w*\s+in\s+(?:debt|damp|paperwork|bills|water\s+coming)\b
    | \blocked\s+(?:myself|ourselves)\s+out\b
    | \b(?:it|that|this)(?:'s|\s+is)\s+(?:hurting|killing)\b
    | \bkill\s+(?:himself|herself)\s+(?:if|whenever|when|unless|every\s+time)\b
    | \bcut\s+(?:me|us|her|him|them)\s+off\b
    | \b(?:mice|rats?|pests?|wasps?|bugs?|slugs?|snails|ants?|flies|weeds?|moths?|fleas|bed\s*bugs
      |cockroach\w*|vermin|ivy|moss|tree|roots?|plants?|brambles)\b[^.]{0,40}?\b(?:kill\w*|attack\w*
      |strangl\w*|chok\w*|murder\w*|poison\w*)\b
    | \b(?:kill\w*|poison\w*)\b[^.]{0,30}?\b(?:mice|rats?|pests?|wasps?|bugs?|slugs?|ants?|flies
      |weeds?|moths?|fleas|cockroach\w*|vermin|nest)\b
    | \bbe\s+the\s+death\s+of\s+(?:me|us)\b
    """,
    re.VERBOSE,
)

# People (and pets) someone can hurt: "my electric bill" or "my finger" is not one.
_WHO = (
    r"(?:partner|husband|wife|boyfriend|girlfriend|ex|son|daughter|kids?|children|child|baby"
    r"|boy|girl|mum|mother|mam|dad|father|sister|brother|nan|gran|grandma|grandad|grandson"
    r"|granddaughter|friend|mate|neighbour|tenant|resident|lady|woman|man|person|carer"
    r"|cousin|aunt|uncle|niece|nephew|family|dog|cat)"
)
_PERSON = (
    rf"(?:me|us|her|him|them|myself|(?:my|our|his|her|their|the|a|this|that)"
    rf"(?:\s+(?:little|baby|older|younger|eldest|youngest|new|old|elderly|poor))?\s+{_WHO}s?)"
)
_HARM = (
    r"(?:hurt|kill|stab|strangle|batter|beat|burn|drown|shoot|cut|smash|choke|attack|hit|rape"
    r"|get|finish)"
)
# Someone else doing it: a pronoun or a relation, as in "he", "she's", "my ex".
_THEY = (
    r"(?:he|she|they|he's|she's|they're|they've|someone|somebody|my\s+(?:ex|partner|husband|"
    r"wife|boyfriend|girlfriend|dad|father|stepdad|mum|mother|son|daughter|brother|sister|uncle)"
    r"(?:'s)?)"
)
_HOME = r"(?:house|flat|place|home|car|room|kitchen|curtains|bed|door|letterbox|hall|stairs)"
_DOOR = r"(?:the|my|our|his|her)\s+(?:front\s+|back\s+|bedroom\s+|bathroom\s+)?(?:door|window)s?"

_DANGER = re.compile(
    rf"""
    # weapons held, brought or used (a knife drawer or a mower's blade is not one)
    \b(?:got|has|have|had|holding|held|with|pulled|pulling|grabbed|grabbing|waving|carrying|
      brandish\w*|took|taken|picked\s+up|getting|fetched|fetching|there's|there\s+is|sharpening)
      \s+(?:out\s+)?(?:a|an|the|his|her|their|my|two|some)?\s*(?:[\w']+\s+)?
      (?:knife|knives|gun|guns|weapon|weapons|machete|blade|axe|shotgun|rifle|pistol)\b
    | \b(?:knife|knives|gun|blade|machete|axe)\s+(?:to|at|against|in)\s+(?:my|her|his|our|the)\b
    | \b(?:stabbed|stabbing|stab|shot|shoot|shooting|cut|slash|slashed)\s+{_PERSON}\b
    | \bbeen\s+(?:stabbed|shot)\b
    | \b(?:threaten\w*|coming\s+at|came\s+at|swinging|waving|went\s+for)\s+
      (?:me|us|her|him)?\s*(?:with\s+)?(?:a|an|the|his|her)\s+(?:[\w']+\s+)?
      (?:hammer|bat|bottle|scissors|screwdriver|iron|pan|brick|chair|bar|crowbar|stick)\b
    | \b{_THEY}\s+(?:is\s+|has\s+)?(?:got|holding|grabbed|picked\s+up|pulled\s+out|waving|
      swinging|carrying)\s+(?:a|an|the|his|her)\s+(?:[\w']+\s+)?(?:bat|scissors|screwdriver|
      bottle|hammer|crowbar|bar|iron|brick|stick|poker|spanner)\b
    # someone close who is here, outside or on the way "with a bat" (fixing a shelf with one is not)
    | \b{_THEY}\s+(?:(?:is|was|'s|has|just|now|still|outside|here|there|back|round|over|
      downstairs|upstairs|at|the|my|door|window|gate|coming|came|come|turned|turning|up|
      standing|waiting|in|hall|garden|kitchen|house|flat)\s+){{0,5}}with\s+(?:a|an|the|his|her|their)
      \s+(?:[\w']+\s+)?(?:bat|hammer|crowbar|bar|brick|poker|spanner|iron|stick|bottle|axe|
      knife|knives|gun|weapon|machete|blade|golf\s+club|club|pole|chain)\b
    | \b(?:holding|held|pressing|pressed|pointing)\b.{{0,30}}\b(?:to|against|at)\s+(?:my|her|his)
      \s+(?:face|throat|neck|head|chest|eyes?)\b
    # threats to kill or hurt, and suicide
    | \bkill\s+(?:{_PERSON}|ourselves|himself|herself|us\s+all)\b
    | \b(?:going\s+to|gonna|will|'ll|wants?\s+to|trying\s+to|tried\s+to|threaten\w*\s+to|says?
      |said|swears?)\s+(?:to\s+)?kill\b
    | \b(?:murder|murdering)\s+{_PERSON}\b
    | \b(?:end\s+my\s+life|suicid\w*|finish\s+(?:me|us|her)\s+off|beat\s+{_PERSON}\s+to\s+death)\b
    | \b(?:fear|scared|afraid|frightened|terrified)\s+for\s+(?:my|our|her|his)\s+li(?:fe|ves)\b
    | \b(?:i'm|i\s+am|we're|we\s+are)\s+(?:going\s+to|gonna)\s+die\b
    | \bslit\s+(?:my|our|her|his)\s+throat\b
    | \b(?:says|said|saying|told\s+me|texted|shouting)\s+(?:that\s+)?(?:i'm|i\s+am|we're|you're)
      \s+dead\b
    | \bwon't\s+be\s+alive\b | \bnever\s+see\s+\w+\s+alive\b
    | \bfinish(?:es|ing)?\s+(?:me|us|her|him)\b
    | \b(?:going\s+to|gonna)\s+(?:hurt|beat|batter|stab|strangle|burn|drown)\s+{_PERSON}\b
    | \b(?:is|'s|are|'re|keeps?)\s+threatening\s+(?:to\s+)?{_HARM}\b
    | \b(?:tried|trying)\s+to\s+(?:{_HARM}|run)\s+(?:{_PERSON}|over)\b
    # strangling and breathing
    | \bchok(?:e|es|ing)\s+{_PERSON}\b
    | \b(?:he's|she's|they're|he\s+is|she\s+is|tried\s+to|trying\s+to)\s+(?:chok|strangl)\w*\b
    | \b(?:strangling|suffocating|smothering)\s+{_PERSON}\b
    | \b(?:can'?t|cannot|can\s+not|couldn'?t|can\s+hardly)\s+breathe\b
    | \b(?:hands?|arms?|fingers)\s+(?:are\s+|is\s+)?(?:round|around|on)\s+(?:my|her|his)
      \s+(?:neck|throat)\b
    | \b(?:squeez\w*|press\w*|grab\w*)\s+(?:my|her|his)\s+(?:neck|throat)\b
    | \bpillow\s+(?:on|over)\s+(?:my|her|his)\s+face\b
    # an attack happening now
    | \b(?:is|are|'s|'re|keeps?|won't\s+stop|started)\s+(?:hitting|beating|hurting|attacking|
      kicking|punching|strangling|choking|raping|battering|bashing|slapping|shaking|dragging|
      smashing)\s+{_PERSON}\b
    | \b(?:hurting|hitting|beating|attacking|kicking|punching|battering|bashing)\s+{_PERSON}
      \s+(?:now|right\s+now|as\s+we\s+speak)\b
    | \b(?:attacking|raping|battering)\s+{_PERSON}\b
    | \bbeing\s+(?:attacked|beaten|battered|hit|hurt|stabbed|strangled|raped)\s+
      (?:now|right\s+now|as\s+we\s+speak|next\s+door|outside|upstairs|downstairs)\b
    | \b(?:forcing|forced)\s+(?:himself|herself)\s+on\s+me\b
    | \b(?:hit|hurt|beat|beaten|kicked|punched|attacked|burned|burnt|scalded|cut|stabbed|
      strangled|choked|battered|bashed|slapped|dragged|shook|pushed|threw)\s+{_PERSON}\b
      .{{0,60}}\b(?:just\s+now|right\s+now|a\s+(?:minute|moment|second|few\s+minutes)\s+ago|
      minutes\s+ago|as\s+we\s+speak|this\s+minute)\b
    | \bbeing\s+(?:attacked|beaten|battered|hit|hurt|stabbed|strangled|raped|dragged)\b
      .{{0,60}}\b(?:now|right\s+now|as\s+we\s+speak|this\s+minute)\b
    | \bhear\b.{{0,40}}\b(?:screaming|hitting|hurting|beating|attacking|
      being\s+(?:hit|beaten|hurt|attacked)|shouting\s+for\s+help|crying\s+for\s+help|someone\s+(?:hitting|beating|hurting))\b
    | \b(?:'s|has|is|'s\s+just|just)\s+(?:thrown|pushed|shoved|pinning|pinned|throwing|pushing|
      shoving)\s+{_PERSON}\b
    | \b(?:is|'s)\s+beating\s+(?:me|us|her|him)\s+up\b
    | \b(?:pinning|pinned|holding|held)\s+{_PERSON}\s+down\b
    | \b(?:got|has)\s+{_PERSON}\s+pinned\b
    | \b(?:see|seeing|watching|hear|hearing)\b.{{0,40}}\b(?:punching|hitting|beating|kicking|
      attacking|strangling|stabbing|dragging|hurting)\s+{_PERSON}
    | \b(?:taken|took|swallowed)\s+(?:all\s+|loads\s+of\s+|a\s+load\s+of\s+|too\s+many\s+|a\s+
      (?:bottle|packet|box)\s+of\s+)?(?:my\s+|his\s+|her\s+)?(?:tablets|pills|meds|medication|
      paracetamol)\b | \boverdos\w*\b | \b(?:cut|cutting)\s+myself\b
    | \b(?:going\s+to|gonna|want\s+to|about\s+to)\s+end\s+it\b
    | \b(?:drive|driving|drove|crash|crashing|swerve|steer)\w*\s+(?:the\s+car\s+|us\s+|me\s+)?
      (?:into|off)\s+(?:a|the)\s+(?:wall|tree|bridge|river|cliff|lorry|motorway|canal|sea)\b
    | \b(?:dragging|dragged)\s+{_PERSON}\s+(?:by|across|along|into|out)\b
    | \b(?:banging|slamming|smashing)\s+(?:my|her|his)\s+head\b
    | \b(?:just|'s\s+just|has\s+just|have\s+just)\s+(?:hit|punched|kicked|stabbed|cut|burned|burnt|
      scalded|strangled|choked|attacked|broke|broken|beaten|beat|thrown|threw|pushed)\b
    | \b(?:'s|has)\s+(?:broken|broke|fractured)\s+my\s+(?:nose|arm|ribs?|jaw|leg|wrist|fingers?)\b
    | \bknocked\s+(?:me|her|him)\s+(?:out|unconscious)\b
    | \b(?:'s|has|they\s+have|they've)\s+(?:just\s+)?(?:hurt|hit|stabbed|cut|burned|burnt|scalded|
      punched|kicked|strangled|beaten|battered)\s+{_PERSON}\b(?!\s+(?:before|many|loads|lots|so\s+many|
      for\s+years|in\s+the\s+past|a\s+lot|again\s+and\s+again|over\s+the))
    # injuries: a person bleeding, unconscious, not breathing
    | \b(?:i'm|i\s+am|i've\s+been|we're|he's|she's|they're|it's|is|are|keeps?|still|badly|cut\s+and)
      \s+bleeding\b
    | \bbleeding\s+(?:badly|heavily|a\s+lot|from|everywhere|loads)\b
    | \bblood\s+(?:everywhere|all\s+over)\b | \bcovered\s+in\s+blood\b
    | \b(?:unconscious|not\s+breathing|passed\s+out|blacked\s+out)\b
    # someone forcing their way in, or outside now
    | \b(?:breaking|trying\s+to\s+(?:break|get|force\s+(?:his|her|their)\s+way))\s+in\b
    | \b(?:has|have|'s|just)\s+(?:broken|broke|got|let\s+(?:himself|herself))\s+in\b
      (?!\s+(?:the|a|an|half|two|my|our)\b)
    | \b(?:has|have|'s|just|someone)\s+(?:broken|broke)\s+into\b
    | \b(?:has|have|'s|just|someone)\s+got\s+into\s+(?:the|my|our|her)\s+(?:house|flat|home|room
      |bedroom|kitchen|garden|building|block|place)\b
    | \b(?:broke|broken|kicked|smashed|smashing|kicking)\s+down\s+{_DOOR}\b
    | \b(?:break|breaking|kick|kicking|smash|smashing|force|forcing)\s+{_DOOR}\s+(?:down|in|open)\b
    | \b(?:breaking|smashing|kicking)\s+(?:down\s+)?{_DOOR}\b
    | \b(?:'s|has|have|just)\s+(?:smashed|broken|kicked\s+in|broke)\s+{_DOOR}\b
    | \b(?:banging|hammering|pounding|kicking|knocking)\s+(?:on|at|in|down)\s+{_DOOR}\b
    | \b(?:kicking|smashing)\s+(?:the|my|our)\s+(?:front\s+|back\s+)?door\s+(?:in|down)\b
    | \b{_THEY}\s+(?:is\s+|are\s+)?(?:outside|at\s+{_DOOR}|in\s+the\s+(?:house|flat|garden|hall))
      (?:\s+(?:{_DOOR}|the\s+(?:house|flat)))?(?:\s+[\w']+){{0,3}}?\s*(?:now|right\s+now|again|
      looking|waiting|watching|shouting|screaming|banging|knocking|trying|won't\s+leave|$)
    | \b(?:he's|she's|they're|he\s+is|she\s+is)\s+(?:right\s+)?here
      \s*(?:now|right\s+now|again|and|$)
    | \b{_THEY}\s+(?:is\s+)?(?:sitting|waiting|parked|standing|hiding|lurking)\s+outside\b
    | \b{_THEY}\s+(?:is\s+)?(?:climbing|getting)\s+(?:over|through|in|up)\b
    | \b{_THEY}\s+(?:is\s+)?coming\s+up\s+the\s+stairs\b
    | \b{_THEY}\s+(?:is\s+)?on\s+(?:his|her|their)\s+way\b(?!\s+to\s+(?:fix|repair|look|do|see))
    | \b{_THEY}\s+(?:is\s+)?blocking\s+(?:the|my)\s+(?:door|way)\b
    | \bcoming\s+(?:for|after|to\s+get|at)\s+(?:me|us)\b
    | \b(?:scared|afraid|terrified|frightened|worried)\s+(?:that\s+)?(?:he|she|they)(?:'ll|\s+will|
      's\s+going\s+to|\s+is\s+going\s+to|'s\s+gonna|\s+is\s+gonna)\s+(?:[\w']+\s+){{0,4}}?{_HARM}\b
    | \bthrowing\s+things\s+(?:at\s+me|right\s+now|now)\b
    | \bsmashing\s+up\s+(?:the|my|our)\s+(?:house|flat|place|home)\b
    | \b{_THEY}\s+(?:is\s+)?inside\b
    | \b(?:coming|on\s+(?:his|her|their)\s+way)\s+(?:round\s+|over\s+|back\s+)?(?:to\s+)?
      {_HARM}\s+(?:me|us)\b
    | \bnot\s+(?:supposed|allowed|meant)\s+to\s+(?:be\s+here|come\s+(?:here|near|round))\b
    | \b(?:following|followed)\s+(?:me|us|my\s+car)\s+(?:now|right\s+now|home)\b
    | \b(?:i'm|i\s+am|im|we're|we\s+are)\s+hiding\s+(?:in|under|behind|from|upstairs)\b
    # shut in, held
    | \b(?:locked|locking|trapped|shut|tied)\s+{_PERSON}\s+(?:in|up)\b
    | \b(?:i'm|i\s+am|im|we're|we\s+are)\s+(?:locked|trapped|shut)\s+in\b
    | \bwon'?t\s+let\s+(?:me|us)\s+(?:leave|out|go)\s*(?:$|now|and|the\s+(?:house|room|flat|car)|
      of\s+the|of\s+here)
    | \b(?:holding|keeping|kept|held)\s+(?:me|us|her)\b.{{0,20}}\bagainst\s+(?:my|our|her)\s+will\b
    | \b(?:cornered\s+me|barricad\w*|keep\s+(?:him|her|them)\s+out)\b
    | \bcan'?t\s+get\s+away\s+from\s+(?:him|her|them)\b
    | \b(?:locked|blocked|blocking)\s+(?:all\s+)?(?:the|every)\s+doors?\s+and\b
    | \bhas\s+(?:me|us)\s+locked\b
    # fire, gas, cars, water, poison
    | \b(?:set|setting|sets)\s+fire\s+to\s+(?:{_PERSON}|(?:the\s+|our\s+)?{_HOME})\b
    | \b(?:set|setting|sets|lit|lighting)\s+(?:{_PERSON}|(?:the\s+|our\s+)?{_HOME})\s+on\s+fire\b
    | \b{_THEY}\s+(?:has\s+|'s\s+|just\s+)?(?:lit|started)\s+a\s+fire\b
    | \b(?:burn|burning|torch|torching)\s+(?:the\s+|my\s+|our\s+)?(?:house|flat|place|home)
      (?:\s+down)?\b
    | \bburn\s+(?:me|us|her|him|them)\s+(?:out|alive)\b
    | \b(?:pour\w*|splash\w*|thrown?|throwing)\s+(?:\w+\s+)?(?:petrol|lighter\s+fluid|acid|
      bleach|paraffin)\b
    | \b(?:covered|soaked|doused)\s+in\s+(?:petrol|lighter\s+fluid|paraffin)\b
    | \b{_THEY}\s+(?:has\s+|'s\s+|just\s+)?(?:turned|turning|left|put|switched)\s+(?:all\s+)?
      (?:the\s+)?(?:[\w']+\s+)?gas\s+(?:rings?\s+)?on\b
    | \b(?:run|running|ran)\s+(?:me|us|her|him)\s+(?:over|down)\b
    | \b(?:drove|driving|drive|swerved|reversed)\s+(?:his|her|the|a|their)?\s*(?:car|van)?\s*
      (?:at|into)\s+(?:me|us|her|him)\b
    | \bdrown\w*\s+{_PERSON}\b
    | \b(?:head|face)\s+under\s+(?:the\s+)?water\b
    | \bholding\s+{_PERSON}\s+under\b
    | \bpoison\w*\s+(?:me|us|her|him|them|my\s+(?:food|drink|tea|coffee)|the\s+kids)\b
    | \b(?:put|putting|spiked|slipped)\s+(?:something|bleach|poison|pills|tablets|drugs|stuff|
      powder)\s+in(?:to)?\s+(?:my|her|his|our)\s+(?:drink|food|tea|coffee|dinner)\b
    | \bmade\s+(?:me|her|him)\s+(?:take|swallow|drink)\s+(?:something|pills|tablets|drugs)\b
    | \bforcing\s+(?:pills|tablets)\b
    # a plea for help now
    | \bhelp\s+(?:me|us)\s+(?:now|right\s+now|quick|quickly|please\s+now)\b
    | \bneed\s+help\s+(?:now|right\s+now|urgently|immediately)\b
    | \bhelp\s+help\b
    | \bneed\s+an?\s+ambulance\b
    | \bin\s+(?:immediate\s+|real\s+|serious\s+)?danger\b
    | \bnot\s+safe\s+(?:now|right\s+now|here|at\s+home)\b
    | \b(?:call|calling|ring|phone|dial|get|send)\s+(?:the\s+)?(?:police|999|ambulance|an\s+
      ambulance|cops)\b
    | \b(?:police|ambulance)\s+(?:now|right\s+now|please)\b
    """,
    re.VERBOSE,
)


# A message made only of a plea ("help", "plz help", "someone come quick", "send the police").
_PLEA_WORDS = _wordset(
    """
    help please someone somebody anyone me us now quick quickly come send hurry i need the
    police ambulance an here right can you get call ring 999 sos emergency urgent urgently
    """
)
_PLEA_CORE = _wordset("help come send hurry police ambulance 999 sos emergency")


def is_plea(words: list[str]) -> bool:
    """The message is nothing but a call for help, with at least one word that asks for it."""
    return bool(words) and set(words) <= _PLEA_WORDS and not _PLEA_CORE.isdisjoint(words)


# Strangling, a break-in or an attack in progress is danger now unless the person places it
# weeks back or says it goes on for years ("he strangled me last night" fires, "he strangled me
# last month" is a disclosure to acknowledge, with the normal reply).
_RECENT = re.compile(
    rf"\b(?:(?:strangl\w*|suffocat\w*|smother\w*|choked)\s+{_PERSON}"
    rf"|(?:was|been|got|being)\s+(?:strangled|suffocated|smothered|choked)"
    rf"|forced\s+(?:his|her|their)\s+way\s+in"
    rf"|(?:being|getting)\s+(?:attacked|beaten|battered|stabbed|raped|dragged|knifed))"
)
_LONG_AGO = re.compile(
    r"""\b(?:last\s+(?:week|month|year|summer|winter|spring|autumn|christmas)|(?:days|weeks|months
    |years|ages)\s+ago|a\s+(?:week|month|year)\s+ago|used\s+to|in\s+the\s+past|when\s+we\s+were
    |for\s+years|once\s+before)\b""",
    re.VERBOSE,
)


def fires(text: str) -> bool:
    """True when the words say someone is in danger now; housing talk with such words is not."""
    normal = normalise(text)
    if is_plea(normal.split()):
        return True
    cleaned = _NOT_DANGER.sub(" ", normal)
    if _DANGER.search(cleaned):
        return True
    return bool(_RECENT.search(cleaned)) and not _LONG_AGO.search(cleaned)
