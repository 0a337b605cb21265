r"""Text vectorizers: CountVectorizer, TfidfVectorizer, HashingVectorizer (string documents in), TfidfTransformer.

The input is a string tensor of documents, ``[N]`` (what ``to_onnx(est,
np.array(["some text"], dtype=object))`` declares) or ``[N, 1]``. Two graphs
compute scikit-learn's analyzer, chosen with ``options={'tokenizer': ...}``:

``'onnxruntime'`` (the default): onnxruntime's contrib operator
``com.microsoft.Tokenizer`` (declared with :func:`onnxalgebra.custom_operator`;
the model imports ``com.microsoft`` version 1) and ONNX's ``TfIdfVectorizer``.

1. ``lowercase``: one ``StringNormalizer`` (``LOWER``, locale ``C.UTF-8``: the
   locale must exist where the model runs; onnxruntime rejects a batch of 0
   documents there);
2. word tokens: ``Tokenizer`` with ``tokenexp`` ``[\p{L}\p{N}_]{2,}`` (or
   ``{1,}`` for ``\w+``): RE2 finds the runs of word characters as Python's
   ``re.findall(token_pattern)`` does (``\w`` is letters, numbers and the
   underscore in both), [N, C] padded with ``'#'`` (never a token);
3. ``stop_words`` with ``ngram_range`` beyond unigrams: they are removed
   before n-grams are formed: a ``LabelEncoder`` gives token ids (stop words
   and padding a large id), a stable ``TopK`` on ``id // large`` moves them to
   the end of their row, ``GatherElements`` applies the order (unigrams only:
   nothing to remove, no stop word is in the pool);
4. ``TfIdfVectorizer`` (``max_skip_count=0``) counts the vocabulary's n-grams
   in each row (n-grams never span the padding or a removed word's gap as
   scikit-learn's never span a document), its pool the vocabulary's n-grams as
   strings (ids after step 3); a vocabulary entry no token sequence can give
   (a given ``vocabulary`` holding punctuation, a stop word, another length)
   gets an n-gram never seen (``'###'``...), so the output keeps its width.
   ``TfIdfVectorizer`` outputs float32: the counts, whole numbers, are exact up
   to 2**24 and cast to float64 for a float64 graph. A float32
   TfidfVectorizer without ``sublinear_tf`` has the ``idf_`` weights applied by
   that node (``TFIDF`` mode, or ``IDF`` mode for ``binary``: the weight where
   the count is not 0).

``analyzer='char'``: ``Tokenizer`` with ``separators=['']`` (its character
mode: one token per UTF-8 character, padded with ``'##'``); scikit-learn first
replaces each run of 2 or more whitespace characters (Python's ``\s``,
:data:`WHITESPACE`) with one space: when ``RegexFullMatch`` finds such a run
in some document of the batch (one ``If``), the characters' ids (whitespace
ids from ``2**32`` on, so ``id // 2**32`` flags them) mark the first of each
run as a space and drop the others (moved to the end of the row as above);
else the ids go to ``TfIdfVectorizer`` as they are.

``analyzer='char_wb'``: scikit-learn pads each word (a run of non-whitespace
characters) with a space on both sides and takes the n-grams of each padded
word; a padded word shorter than the smallest n is counted whole, once (and
one of length n, for n in ``ngram_range``, once too). The ``Tokenizer``'s
characters [N, C] become a sequence [N, 3C]: per character three slots, (a
space if it starts a word, the character itself or, for whitespace, a
boundary token ``'#|#'``, a space if it ends a word), the empty slots moved to
the end of the row (``TopK`` on a 0/1 key, ``GatherElements``). No n-gram of
the pool holds the boundary, so the windows ``TfIdfVectorizer`` counts are
exactly the padded words' windows; the whole padded words shorter than the
smallest n (``' a '`` for ``ngram_range=(4, 6)``) join the pool at their
length (``min_gram_length`` lowered to it): in that sequence a window
starting and ending with a space and holding no boundary is a whole padded
word. A given ``vocabulary``'s entries char_wb cannot produce (a space or
whitespace inside, too short and not a padded word) get an n-gram never seen.

HashingVectorizer (default tokenizer only): the same analyzer (word, char or
char_wb n-grams, ``lowercase``, ``stop_words``, the token patterns above)
gives [N, K] n-gram strings with a validity mask (windows of the token matrix
of each n, joined by a space for words, by nothing for characters, ``Concat``
over n; a window holding padding, a removed stop word or a char_wb boundary
is not an n-gram), then onnxruntime's contrib operator
``com.microsoft.MurmurHash3`` (``seed=0``, ``positive=0``: the signed 32-bit
MurmurHash3 of the UTF-8 bytes, scikit-learn's ``murmurhash3_32(s, 0,
positive=False)``; the tests check it on random strings of any script), the
column ``abs(h) % n_features`` computed in int64 (so ``h = -2**31`` gets
``2**31 % n_features``, the column scikit-learn's special case defines), the
value ``+1``/``-1`` by the sign of ``h`` (``alternate_sign``, else ``+1``) summed
per column with ``ScatterElements`` (``add``) into a dense [N, n_features]
matrix; ``binary``: 1 where at least one n-gram was hashed, even when the
signs cancelled to 0 (scikit-learn sets every stored entry to 1); then
``norm`` (``LpNormalization``). The output is dense: ``n_features`` columns
in the computation dtype, 4 MiB per document in float32 with the default
``2**20`` (8 MiB in float64): choose a smaller ``n_features`` when the ONNX
model will see large batches. ``options={'tokenizer': 'onnx'}`` is refused:
MurmurHash3 is no standard ONNX operator.

``lowercase`` (every analyzer, both tokenizers): ``StringNormalizer`` maps
each character to one character; Python's ``str.lower()`` agrees with it on
every code point (onnxruntime 1.32, glibc C.UTF-8) except two: ``'İ'`` (U+0130) becomes ``'i'`` plus
U+0307 in Python, and a capital sigma ending a word becomes U+03C2 (final sigma) in Python
(U+03C3 in onnxruntime). A document holding one of these gives the n-grams
of the other spelling.

``'onnx'``: standard ONNX operators only, for runtimes without onnxruntime's
contrib operators (word analyzers only; about 10 to 20 times slower):

1. ``lowercase`` as above;
2. tokens: ``StringSplit`` on whitespace, then one ``StringSplit`` per
   non-word character of :data:`DELIMITERS` (all of ASCII's, Latin-1's
   punctuation and symbols, the common typographic marks of U+2000-U+206F and
   currency signs), the tokens kept flat ([T]) with the row they come from and
   empty pieces dropped (``Compress``): no padding, so n-grams never span a
   gap;
3. ``token_pattern``: a token is kept when it is a run of at least 2 (``\w\w+``)
   or 1 (``\w+``) word characters, ``RegexFullMatch`` with
   ``[\p{L}\p{N}_]``; a token still holding a character that is not a word
   character (one outside :data:`DELIMITERS`) could not be split as
   scikit-learn would, so its document's row is NaN, never a silently
   different count (no standard operator replaces or finds all matches of a
   regular expression, hence the chain of splits);
4. ``stop_words``: a ``LabelEncoder`` flags them, ``Compress`` drops them;
5. n-grams of ``ngram_range``: adjacent tokens of one row joined by a space
   (``StringConcat``), then one ``LabelEncoder`` gives each its column in
   ``vocabulary_`` (-1: unknown) and a ``ScatterElements`` with ``add`` counts
   them into the [N, n_features] matrix.

Why onnxruntime's ``Tokenizer`` is the default (``benchmarks/bench_text.py``,
one onnxruntime thread, a generated corpus): the standard-operator graph
has about 200 nodes (one split pass per delimiter) and takes 110-150 us for one
document and 23-70 ms for 1,000, against 7-25 us and 3-28 ms with the
``Tokenizer`` (3 to 10 nodes), which is at or under skl2onnx's latency for the
word analyzers. Both graphs give scikit-learn's counts exactly (the tests run
both); the standard one stays for other runtimes.

The counts are in the computation dtype (float32 for string input, or the
``dtype`` given to ``to_onnx``), whatever the vectorizer's ``dtype``: the same
values, in the type the next step computes in. TfidfVectorizer and
TfidfTransformer then apply ``log(tf) + 1`` to non-zero counts
(``sublinear_tf``), ``idf_`` and the ``l1``/``l2`` row normalisation
(``LpNormalization``: a row of zeros stays zeros), as scikit-learn.

Not converted (a clear ``OnnxAlgebraError``): ``'char'`` and ``'char_wb'`` with
``options={'tokenizer': 'onnx'}`` (no standard operator splits a string into
characters), HashingVectorizer with it (no standard MurmurHash3), callables
(``analyzer``, ``tokenizer``, ``preprocessor``: arbitrary Python has no ONNX
graph), ``strip_accents`` (no operator decomposes Unicode), other
``token_pattern`` values (only runs of word characters are reproduced),
``input='filename'``/``'file'``. In a Pipeline, ``options`` reach the last
step only: a vectorizer inside one uses the default tokenizer.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import onnx

from onnxalgebra import (
    Expr,
    Graph,
    OnnxAbs,
    OnnxAdd,
    OnnxAlgebraError,
    OnnxAnd,
    OnnxCast,
    OnnxCompress,
    OnnxConcat,
    OnnxConstantOfShape,
    OnnxDiv,
    OnnxEqual,
    OnnxExpand,
    OnnxGatherElements,
    OnnxGreater,
    OnnxGreaterOrEqual,
    OnnxIf,
    OnnxLabelEncoder,
    OnnxLog,
    OnnxLpNormalization,
    OnnxMod,
    OnnxMul,
    OnnxNot,
    OnnxOr,
    OnnxPad,
    OnnxRange,
    OnnxReduceMax,
    OnnxReduceSum,
    OnnxRegexFullMatch,
    OnnxReshape,
    OnnxScatterElements,
    OnnxShape,
    OnnxSlice,
    OnnxSqueeze,
    OnnxStringConcat,
    OnnxStringNormalizer,
    OnnxStringSplit,
    OnnxTfIdfVectorizer,
    OnnxTopK,
    OnnxUnsqueeze,
    OnnxWhere,
    computation_dtype,
    custom_operator,
)

# --- the analyzer ---

#: token_pattern values the graph reproduces -> the least number of word characters of a token.
TOKEN_PATTERNS = {r"(?u)\b\w\w+\b": 2, r"\b\w\w+\b": 2, r"(?u)\b\w+\b": 1, r"\b\w+\b": 1}

_WORD = r"[\p{L}\p{N}_]"  # RE2: Python's \w is letters, numbers and the underscore


def _non_word(codes: Any) -> list[str]:
    return [c for c in map(chr, codes) if c != " " and not re.fullmatch(r"\w", c)]


#: Non-word characters every document is split on: ASCII's whitespace and punctuation.
DELIMITERS_ASCII = _non_word([9, 10, 11, 12, 13, *range(0x20, 0x7F)])
#: Further non-word characters, split on only when a token still holds a non-word character (one ``If``): ASCII's
#: other control characters, Latin-1's punctuation and symbols, U+2000-U+206F (spaces, dashes, quotes, ...),
#: currency signs and CJK punctuation.
_MORE_CODES = (range(1, 9), range(14, 0x20), range(0x7F, 0xC0), (0xD7, 0xF7), range(0x2000, 0x2070), range(0x20A0, 0x20C1))
DELIMITERS_MORE = _non_word([code for codes in (*_MORE_CODES, (0x3000, 0x3001, 0x3002)) for code in codes])
#: Every non-word character a document is split on; a token holding another one makes its row NaN.
DELIMITERS = DELIMITERS_ASCII + DELIMITERS_MORE


def check_analyzer(est: Any, chars: bool = False) -> int:
    """The least token length of ``est``'s word analyzer (1 for ``chars``: 'char', 'char_wb' allowed); a clear error for what
    the graph cannot reproduce."""
    name = type(est).__name__
    if est.input != "content":
        raise OnnxAlgebraError(f"{name}(input={est.input!r}): only input='content' (the documents themselves) converts.")
    if callable(est.analyzer):
        raise OnnxAlgebraError(
            f"{name}: a callable analyzer ({est.analyzer!r}) cannot be converted to ONNX; use analyzer='word'."
        )
    if est.analyzer not in ("word", "char", "char_wb"):
        raise OnnxAlgebraError(f"{name}(analyzer={est.analyzer!r}): expected 'word', 'char' or 'char_wb'.")
    if est.analyzer != "word" and not chars:
        raise OnnxAlgebraError(
            f"{name}(analyzer={est.analyzer!r}) with options={{'tokenizer': 'onnx'}}: character n-grams cannot be "
            "converted with standard operators (none splits a string into characters); use the default tokenizer "
            "('onnxruntime')."
        )
    for option in ("tokenizer", "preprocessor"):
        if getattr(est, option) is not None:
            raise OnnxAlgebraError(
                f"{name}: a custom {option} ({getattr(est, option)!r}) cannot be converted to ONNX; leave it None."
            )
    if est.strip_accents is not None:
        raise OnnxAlgebraError(
            f"{name}(strip_accents={est.strip_accents!r}): no ONNX operator strips accents; only None converts."
        )
    if est.analyzer != "word":
        return 1
    if est.token_pattern not in TOKEN_PATTERNS:
        raise OnnxAlgebraError(
            f"{name}(token_pattern={est.token_pattern!r}): only runs of word characters convert, "
            f"token_pattern in {sorted(TOKEN_PATTERNS)}."
        )
    return TOKEN_PATTERNS[est.token_pattern]


def documents(est: Any, X: Expr) -> Expr:
    """``X`` as a [N] string tensor (``X`` is [N] or [N, 1])."""
    if X.dtype is None or X.dtype.kind not in "OUS":
        raise OnnxAlgebraError(f"{type(est).__name__}: X must be a string tensor of documents, got {X.type}.")
    shape = X.shape
    if shape is not None and not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise OnnxAlgebraError(f"{type(est).__name__}: X must hold one document per row, [N] or [N, 1], got {X.type}.")
    return X if shape is not None and len(shape) == 1 else OnnxReshape(X, np.array([-1], dtype=np.int64))


def _flat(pieces: Expr, rows: Expr) -> tuple[Expr, Expr]:
    """[T, m] pieces of the tokens of ``rows`` -> the non-empty ones, flat, with their rows."""
    rows = OnnxExpand(OnnxReshape(rows, np.array([-1, 1], dtype=np.int64)), OnnxShape(pieces))
    pieces = OnnxReshape(pieces, np.array([-1], dtype=np.int64))
    rows = OnnxReshape(rows, np.array([-1], dtype=np.int64))
    keep = OnnxNot(pieces == "")
    return OnnxCompress(pieces, keep, axis=0), OnnxCompress(rows, keep, axis=0)


def _split(tok: Expr, rows: Expr, delimiters: list[str]) -> tuple[Expr, Expr]:
    """Tokens [T] split on every one of ``delimiters`` in turn, empty pieces dropped, rows following."""
    for delimiter in delimiters:
        tok, rows = _flat(OnnxStringSplit(tok, delimiter=delimiter)[0], rows)
    return tok, rows


def tokens(est: Any, docs: Expr, n_docs: Expr) -> tuple[Expr, Expr, Expr]:
    """``(tokens [T], rows [T] int64, bad rows [B] int64)``: the analyzer's tokens in document order, stop words
    removed; ``bad`` lists the rows of tokens with a non-word character the graph could not split on."""
    min_length = check_analyzer(est)
    if est.lowercase:
        docs = OnnxStringNormalizer(docs, case_change_action="LOWER", locale="C.UTF-8")
    rows = OnnxRange(np.int64(0), n_docs, np.int64(1))
    tok, rows = _split(*_flat(OnnxStringSplit(docs)[0], rows), DELIMITERS_ASCII)
    dirty = OnnxNot(OnnxRegexFullMatch(tok, pattern=f"{_WORD}+"))
    any_dirty = OnnxReduceSum(dirty.astype(np.int64), keepdims=0) > 0
    more_tok, more_rows = _split(tok, rows, DELIMITERS_MORE)
    tok, rows = OnnxIf(any_dirty, then_branch=Graph([], [more_tok, more_rows]), else_branch=Graph([], [tok, rows])).outputs
    tok, rows = OnnxCast(tok, to=onnx.TensorProto.STRING), OnnxCast(rows, to=onnx.TensorProto.INT64)  # typed again
    bad = OnnxCompress(rows, OnnxNot(OnnxRegexFullMatch(tok, pattern=f"{_WORD}+")), axis=0)
    keep = OnnxRegexFullMatch(tok, pattern=f"{_WORD}{{{min_length},}}")
    stop = est.get_stop_words()
    if stop:
        words = sorted(stop)
        is_stop = OnnxLabelEncoder(tok, keys_strings=words, values_int64s=[1] * len(words), default_int64=0) == 1
        keep = OnnxAnd(keep, OnnxNot(is_stop))
    return OnnxCompress(tok, keep, axis=0), OnnxCompress(rows, keep, axis=0), bad


def ngram_columns(est: Any, tok: Expr, rows: Expr) -> tuple[Expr, Expr]:
    """``(columns, rows)``: the vocabulary column of every n-gram of ``ngram_range`` found (unknown ones dropped)."""
    min_n, max_n = est.ngram_range
    grams, gram_rows = [], []
    for n in range(min_n, max_n + 1):

        def part(i: int, values: Expr, n: int = n) -> Expr:
            stop = i - (n - 1)
            return values[i:stop] if stop < 0 else values[i:]

        gram = part(0, tok)
        for i in range(1, n):
            gram = OnnxStringConcat(OnnxStringConcat(gram, np.array([" "], dtype=object)), part(i, tok))
        first = part(0, rows)
        if n > 1:
            same = OnnxEqual(first, part(n - 1, rows))  # tokens are in row order: the first and last share a row
            gram, first = OnnxCompress(gram, same, axis=0), OnnxCompress(first, same, axis=0)
        grams.append(gram)
        gram_rows.append(first)
    gram = grams[0] if len(grams) == 1 else OnnxConcat(*grams, axis=0)
    gram_rows = gram_rows[0] if len(gram_rows) == 1 else OnnxConcat(*gram_rows, axis=0)
    terms = sorted(est.vocabulary_, key=est.vocabulary_.get)
    column = OnnxLabelEncoder(gram, keys_strings=terms, values_int64s=[int(est.vocabulary_[t]) for t in terms], default_int64=-1)
    known = column >= 0
    return OnnxCompress(column, known, axis=0), OnnxCompress(gram_rows, known, axis=0)


def _scatter_add(n_cells: Expr, index: Expr, dtype: np.dtype) -> Expr:
    """A [n_cells] vector counting how many times each position appears in ``index``."""
    zeros = OnnxConstantOfShape(OnnxReshape(n_cells, np.array([1], dtype=np.int64)), value=np.zeros(1, dtype=dtype))
    ones = OnnxConstantOfShape(OnnxShape(index), value=np.ones(1, dtype=dtype))
    return OnnxScatterElements(zeros, index, ones, axis=0, reduction="add")


def standard_counts(est: Any, docs: Expr) -> Expr:
    """The counts of the documents ``docs`` [N] with standard ONNX operators only (``options={'tokenizer': 'onnx'}``)."""
    dtype = computation_dtype()
    n_docs = OnnxSqueeze(OnnxShape(docs))
    tok, rows, bad = tokens(est, docs, n_docs)
    column, gram_rows = ngram_columns(est, tok, rows)
    width = len(est.vocabulary_)
    cells = _scatter_add(OnnxMul(n_docs, np.int64(width)), OnnxAdd(OnnxMul(gram_rows, np.int64(width)), column), dtype)
    result = OnnxReshape(cells, np.array([-1, width], dtype=np.int64))
    flagged = OnnxReshape(_scatter_add(n_docs, bad, dtype), np.array([-1, 1], dtype=np.int64)) > 0
    return OnnxWhere(flagged, np.array(np.nan, dtype=dtype), result)


# --- onnxruntime's Tokenizer (the default) ---

#: Every character Python's ``\s`` (and ``str.split()``) treats as whitespace.
WHITESPACE = [chr(c) for c in range(0x3001) if re.fullmatch(r"\s", chr(c))]
_SPACE_BASE = 2**32  # the id of WHITESPACE[j] is _SPACE_BASE + j
_SPACE_IDS = {c: _SPACE_BASE + j for j, c in enumerate(WHITESPACE)}
_WHITESPACE_RUN = "(?s).*[{0}][{0}].*".format("".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE))  # RE2
_WORD_PAD, _CHAR_PAD = "#", "##"  # never a token: '#' is not a word character, a character token is one character


def _tokenizer() -> Any:
    """onnxruntime's contrib ``com.microsoft.Tokenizer`` (version 1)."""
    return custom_operator(
        "Tokenizer",
        "com.microsoft",
        inputs=["X"],
        outputs=["Y"],
        attributes={"mark": "int", "pad_value": "string", "separators": "strings", "tokenexp": "string", "mincharnum": "int"},
        doc="onnxruntime's contrib Tokenizer: the matches of tokenexp in each string, padded with pad_value.",
    )


_DROPPED = 2**40  # the id of a token removed before forming n-grams; the others are in [0, _DROPPED)


def _compact(codes: Expr, key: Expr | None = None) -> Expr:
    """[N, C] ``codes`` (ids in [0, _DROPPED]) with the ``_DROPPED`` ones (``key``: 1 there, else 0) moved to the
    end of their row, the others keeping their order (``TopK`` ranks equal keys by position)."""
    if key is None:
        key = OnnxDiv(codes, np.int64(_DROPPED))
    _, order = OnnxTopK(key, OnnxShape(codes, start=1, end=2), axis=1, largest=0, sorted=1)
    return OnnxGatherElements(codes, order, axis=1)


def _pool(est: Any, grams: list[tuple[int, list[str]]], ids: dict[str, int] | None, min_n: int, max_n: int) -> dict[str, Any]:
    """TfIdfVectorizer's attributes counting the n-grams ``grams`` ((column, tokens) pairs), grouped by length, as
    strings or (``ids``) as the tokens' ids; a column no document can produce gets an n-gram never seen (ids from
    ``len(ids) + 1`` on: ``len(ids)`` is the unknown tokens', or strings of 3 or more '#', never a token nor a
    padding): the output keeps its width."""
    found = {column for column, _ in grams}
    never = [column for column in range(len(est.vocabulary_)) if column not in found]
    grams = [(column, parts if ids is None else [ids[p] for p in parts]) for column, parts in grams]
    for k, column in enumerate(never):
        grams.append((column, [len(ids) + 1 + k if ids is not None else "#" * (k + 3)] * min_n))
    counts, pool, indexes = [], [], []
    for n in range(1, max_n + 1):
        counts.append(len(pool))
        for column, parts in sorted((g for g in grams if len(g[1]) == n), key=lambda g: g[0]):
            pool.extend(parts)
            indexes.append(column)
    kind = "pool_strings" if ids is None else "pool_int64s"
    return {"min_gram_length": min_n, "max_gram_length": max_n, "max_skip_count": 0, "ngram_counts": counts,
            "ngram_indexes": indexes, kind: pool}  # fmt: skip


def _word_grams(est: Any, min_length: int, stop: set[str]) -> list[tuple[int, list[str]]]:
    """Per column, its n-gram of tokens; columns no token sequence gives are left out (an entry of a given
    ``vocabulary`` that is not ``ngram_range`` words of the token pattern, or holds a stop word)."""
    min_n, max_n = est.ngram_range
    token = re.compile(rf"\w{{{min_length},}}")
    grams = []
    for term, column in est.vocabulary_.items():
        parts = term.split(" ")
        if min_n <= len(parts) <= max_n and all(token.fullmatch(p) and p not in stop for p in parts):
            grams.append((int(column), parts))
    return grams


def _char_grams(est: Any) -> list[tuple[int, list[str]]]:
    """Per column, its n-gram of characters (an entry longer or shorter than ``ngram_range`` is left out:
    scikit-learn's char analyzer never produces it)."""
    min_n, max_n = est.ngram_range
    return [(int(column), list(term)) for term, column in est.vocabulary_.items() if min_n <= len(term) <= max_n]


def _ids(grams: list[tuple[int, list[str]]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for _, parts in grams:
        for part in parts:
            ids.setdefault(part, len(ids))
    return ids


def _encode(tokens_: Expr, ids: dict[str, int], extra: dict[str, int], default: int) -> Expr:
    """The int64 id of each token: ``ids``, then ``extra`` (which wins), else ``default``."""
    keys = {**ids, **extra}
    words = sorted(keys)
    return OnnxLabelEncoder(tokens_, keys_strings=words, values_int64s=[keys[w] for w in words], default_int64=default)


def tokenizer_counts(est: Any, docs: Expr, weights: np.ndarray | None = None) -> Expr:
    """The float32 [N, n_features] counts of the documents ``docs`` [N] with onnxruntime's ``Tokenizer``
    (``weights``: the counts times ``weights``, or with ``binary`` the ``weights`` where a count is not 0)."""
    min_length = check_analyzer(est, chars=True)
    if est.lowercase:
        docs = OnnxStringNormalizer(docs, case_change_action="LOWER", locale="C.UTF-8")
    min_n, max_n = est.ngram_range
    tokenizer = _tokenizer()
    ids = None
    if est.analyzer == "word":
        pattern = f"{_WORD}{{{min_length},}}"
        found = tokenizer(docs, mark=0, pad_value=_WORD_PAD, tokenexp=pattern, mincharnum=1, output_types=[(str, (None, None))])
        stop = sorted(est.get_stop_words() or ())
        grams = _word_grams(est, min_length, set(stop))
        codes = found  # the tokens themselves: TfIdfVectorizer finds their n-grams in a pool of strings
        if stop and max_n > 1:  # removed before forming n-grams (unigrams: no stop word is in the pool)
            ids = _ids(grams)
            codes = _compact(_encode(found, ids, {_WORD_PAD: _DROPPED, **dict.fromkeys(stop, _DROPPED)}, len(ids)))
    elif est.analyzer == "char_wb":  # the padded words' characters, whitespace a boundary no pool n-gram holds
        chars = tokenizer(docs, mark=0, pad_value=_CHAR_PAD, separators=[""], mincharnum=1, output_types=[(str, (None, None))])
        grams, least = _char_wb_grams(est)
        ids = _ids(grams)
        codes = _encode(_char_wb_sequence(chars), ids, {}, len(ids))  # boundaries and padding: the unknown id
        return _count(est, codes, _pool(est, grams, ids, least, max_n), weights)
    else:  # char: every character, runs of 2 or more whitespace characters made one space first
        chars = tokenizer(docs, mark=0, pad_value=_CHAR_PAD, separators=[""], mincharnum=1, output_types=[(str, (None, None))])
        grams = _char_grams(est)
        ids = _ids([(c, [p for p in parts if p not in _SPACE_IDS]) for c, parts in grams])
        unknown = len(ids)  # and the padding
        ids.update(_SPACE_IDS)  # whitespace: ids from _SPACE_BASE on, whether n-grams hold them or not
        codes = _encode(chars, ids, {}, unknown)
        pool = _pool(est, grams, ids, min_n, max_n)
        # reduced over every axis (empty axes), taken from ``codes``: computed once, before the If, which only
        # refers to it (onnx's inference of a branch whose first node is a LabelEncoder of an outer value crashes)
        all_axes = OnnxShape(codes, start=0, end=0)
        runs = OnnxReduceMax(OnnxRegexFullMatch(docs, pattern=_WHITESPACE_RUN), all_axes, keepdims=0)
        fast = _count(est, codes, pool, weights)  # no run of whitespace in the batch
        slow = _count(est, _collapse_runs(codes), pool, weights)
        return OnnxIf(runs, then_branch=Graph([], [slow]), else_branch=Graph([], [fast]))
    return _count(est, codes, _pool(est, grams, ids, min_n, max_n), weights)


def _count(est: Any, codes: Expr, pool: dict[str, Any], weights: np.ndarray | None) -> Expr:
    if weights is None:
        return OnnxTfIdfVectorizer(codes, mode="TF", **pool)
    weights = np.asarray(weights, dtype=np.float32)[pool["ngram_indexes"]]
    return OnnxTfIdfVectorizer(codes, mode="IDF" if est.binary else "TFIDF", weights=weights, **pool)


def _collapse_runs(codes: Expr) -> Expr:
    """The character ids ``codes`` [N, C] with each run of 2 or more whitespace characters made one space."""
    space = OnnxDiv(codes, np.int64(_SPACE_BASE))  # 1 for whitespace, else 0
    before_after = OnnxPad(space, np.array([0, 1, 0, 1], dtype=np.int64))
    one, two = np.array([1], dtype=np.int64), np.array([2], dtype=np.int64)
    before = OnnxSlice(before_after, np.array([0], dtype=np.int64), np.array([-2], dtype=np.int64), one)
    after = OnnxSlice(before_after, two, np.array([2**62], dtype=np.int64), one)
    first = OnnxCast(OnnxMul(space, after), to=onnx.TensorProto.BOOL)  # a run's first character: a space
    codes = OnnxWhere(first, np.int64(_SPACE_IDS[" "]), codes)
    dropped = OnnxMul(space, before)  # the run's others: 1
    codes = OnnxWhere(OnnxCast(dropped, to=onnx.TensorProto.BOOL), np.int64(_DROPPED), codes)
    return _compact(codes, dropped)


# --- n-gram strings: analyzer='char_wb' and HashingVectorizer ---

_BOUNDARY = "#|#"  # char_wb: whitespace between words; never a character token, so no n-gram spans it
_INT64 = onnx.TensorProto.INT64


def _ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _text(value: str) -> np.ndarray:
    return np.array(value, dtype=object)


def _columns_slice(x: Expr, start: int, end: int) -> Expr:
    """``x[:, start:end]`` (ONNX's ``Slice`` clamps: a window wider than the row gives [N, 0])."""
    return OnnxSlice(x, _ints(start), _ints(end), _ints(1))


def _shifted(flags: Expr, by: int) -> Expr:
    """The int64 [N, C] ``flags`` moved one column right (``by=1``: each position sees its predecessor's, 0 at the
    first) or left (``by=-1``: its successor's, 0 at the last)."""
    padded = OnnxPad(flags, _ints(0, max(by, 0), 0, max(-by, 0)))
    return _columns_slice(padded, 0, -1) if by > 0 else _columns_slice(padded, 1, 2**62)


def _character_kinds(chars: Expr) -> Expr:
    """Per character token of the [N, C] ``chars``: 0 a character, 1 whitespace (:data:`WHITESPACE`), 2 padding."""
    keys = [*WHITESPACE, _CHAR_PAD]
    return OnnxLabelEncoder(chars, keys_strings=keys, values_int64s=[1] * len(WHITESPACE) + [2], default_int64=0)


def _compact_strings(seq: Expr, key: Expr) -> tuple[Expr, Expr]:
    """The [N, C] strings ``seq`` with those where the int64 ``key`` is 1 moved to the end of their row, the others
    keeping their order (a stable ``TopK``), and ``key`` in the same order; the columns after the longest row's
    kept strings are cut."""
    _, order = OnnxTopK(key, OnnxShape(key, start=1, end=2), axis=1, largest=0, sorted=1)
    # the columns past the longest row's kept tokens hold only moved ones: cut (fewer windows to join and hash)
    kept = OnnxReduceSum(OnnxCast(OnnxEqual(key, np.int64(0)), to=_INT64), _ints(1), keepdims=0)
    width = OnnxReduceMax(kept, _ints(0), keepdims=1)
    order = OnnxSlice(order, _ints(0), width, _ints(1))
    return OnnxGatherElements(seq, order, axis=1), OnnxGatherElements(key, order, axis=1)


def _char_sequence(chars: Expr) -> tuple[Expr, Expr]:
    """``(characters, gap)``: analyzer='char''s text, each run of 2 or more whitespace characters made one space
    (scikit-learn's ``re.sub(r'\\s\\s+', ' ', doc)``: a single tab stays a tab), left-aligned in [N, C]; ``gap``
    (bool) flags the padding after it."""
    kind = _character_kinds(chars)
    space = OnnxCast(OnnxEqual(kind, np.int64(1)), to=_INT64)
    first = OnnxCast(OnnxMul(space, _shifted(space, -1)), to=onnx.TensorProto.BOOL)  # a run's first: a space
    dropped = OnnxMul(space, _shifted(space, 1))  # the run's others
    key = OnnxCast(OnnxOr(OnnxCast(dropped, to=onnx.TensorProto.BOOL), OnnxEqual(kind, np.int64(2))), to=_INT64)
    seq, key = _compact_strings(OnnxWhere(first, _text(" "), chars), key)
    return seq, OnnxCast(key, to=onnx.TensorProto.BOOL)


def _char_wb_sequence(chars: Expr) -> Expr:
    """[N, 3C] strings: each word (a run of non-whitespace characters) of the [N, C] ``chars`` as ``' ' + word +
    ' '``, every whitespace character as :data:`_BOUNDARY`, left-aligned and padded with ``'##'``.

    Each character gives three slots, (a space if it starts a word, itself or the boundary, a space if it ends a
    word), empty slots (``'##'``) are moved to the end of the row. Windows of this sequence holding neither a
    boundary nor padding are exactly the windows of scikit-learn's padded words: two words are always apart by a
    boundary, and a padded word holds no whitespace but its two spaces.
    """
    kind = _character_kinds(chars)
    letter = OnnxEqual(kind, np.int64(0))
    flag = OnnxCast(letter, to=_INT64)
    starts = OnnxAnd(letter, OnnxEqual(_shifted(flag, 1), np.int64(0)))
    ends = OnnxAnd(letter, OnnxEqual(_shifted(flag, -1), np.int64(0)))
    space, empty = _text(" "), _text(_CHAR_PAD)
    middle = OnnxWhere(letter, chars, OnnxWhere(OnnxEqual(kind, np.int64(1)), _text(_BOUNDARY), empty))
    slots = [OnnxWhere(starts, space, empty), middle, OnnxWhere(ends, space, empty)]
    stacked = OnnxConcat(*(OnnxUnsqueeze(slot, _ints(2)) for slot in slots), axis=2)
    shape = OnnxConcat(OnnxShape(chars, start=0, end=1), OnnxMul(OnnxShape(chars, start=1, end=2), np.int64(3)), axis=0)
    seq = OnnxReshape(stacked, shape)
    seq, _ = _compact_strings(seq, OnnxCast(OnnxEqual(seq, empty), to=_INT64))
    return seq


def _char_wb_grams(est: Any) -> tuple[list[tuple[int, list[str]]], int]:
    """``(grams, least length)``: per column, its characters when analyzer='char_wb' can produce it: a window of
    ``ngram_range`` length, or a whole padded word shorter than the smallest n (``' ' + word + ' '``, which
    scikit-learn counts once); the least length of the grams kept (TfIdfVectorizer's ``min_gram_length``)."""
    min_n, max_n = est.ngram_range
    grams = []
    for term, column in est.vocabulary_.items():
        short = 3 <= len(term) < min_n and term[0] == term[-1] == " " and not any(c.isspace() for c in term[1:-1])
        if min_n <= len(term) <= max_n or short:
            grams.append((int(column), list(term)))
    return grams, min([min_n, *(len(parts) for _, parts in grams)])


def _windows(seq: Expr, gap: Expr, n: int, joiner: str) -> tuple[Expr, Expr, list[Expr]]:
    """``(grams, valid, parts)``: the [N, C - n + 1] strings of ``n`` adjacent tokens of ``seq`` joined by
    ``joiner``, True where none is a ``gap``, and the n [N, C - n + 1] slices (the window's tokens)."""
    parts = [_columns_slice(seq, i, i - (n - 1) if i < n - 1 else 2**62) for i in range(n)]
    gaps = [_columns_slice(gap, i, i - (n - 1) if i < n - 1 else 2**62) for i in range(n)]
    gram, any_gap = parts[0], gaps[0]
    for part, part_gap in zip(parts[1:], gaps[1:]):
        gram = OnnxStringConcat(OnnxStringConcat(gram, _text(joiner)), part) if joiner else OnnxStringConcat(gram, part)
        any_gap = OnnxOr(any_gap, part_gap)
    return gram, OnnxNot(any_gap), parts


def analyzed_ngrams(est: Any, docs: Expr) -> tuple[Expr, Expr]:
    """``(grams, valid)``: [N, K] strings holding, where ``valid`` (bool [N, K]) is True, every n-gram scikit-learn's
    analyzer gives for the documents ``docs`` [N] (word n-grams joined by a space, character n-grams of 'char' or
    'char_wb'), built on onnxruntime's ``Tokenizer``."""
    min_length = check_analyzer(est, chars=True)
    if est.lowercase:
        docs = OnnxStringNormalizer(docs, case_change_action="LOWER", locale="C.UTF-8")
    min_n, max_n = est.ngram_range
    tokenizer = _tokenizer()
    short: list[tuple[Expr, Expr]] = []
    if est.analyzer == "word":
        pattern = f"{_WORD}{{{min_length},}}"
        seq = tokenizer(docs, mark=0, pad_value=_WORD_PAD, tokenexp=pattern, mincharnum=1, output_types=[(str, (None, None))])
        removed = sorted({*(est.get_stop_words() or ()), _WORD_PAD})  # stop words go before n-grams are formed
        if len(removed) > 1:
            key = OnnxLabelEncoder(seq, keys_strings=removed, values_int64s=[1] * len(removed), default_int64=0)
            seq, key = _compact_strings(seq, key)
            gap = OnnxCast(key, to=onnx.TensorProto.BOOL)
        else:
            gap = OnnxEqual(seq, _text(_WORD_PAD))
        joiner = " "
    else:
        chars = tokenizer(docs, mark=0, pad_value=_CHAR_PAD, separators=[""], mincharnum=1, output_types=[(str, (None, None))])
        joiner = ""
        if est.analyzer == "char":
            seq, gap = _char_sequence(chars)
        else:
            seq = _char_wb_sequence(chars)
            gap = OnnxOr(OnnxEqual(seq, _text(_CHAR_PAD)), OnnxEqual(seq, _text(_BOUNDARY)))
            for n in range(3, min_n):  # a padded word shorter than min_n: counted whole, once
                gram, valid, parts = _windows(seq, gap, n, joiner)
                whole = OnnxAnd(OnnxEqual(parts[0], _text(" ")), OnnxEqual(parts[-1], _text(" ")))
                short.append((gram, OnnxAnd(valid, whole)))
    found = [_windows(seq, gap, n, joiner)[:2] for n in range(min_n, max_n + 1)] + short
    if len(found) == 1:
        return found[0]
    return OnnxConcat(*(g for g, _ in found), axis=1), OnnxConcat(*(v for _, v in found), axis=1)


def murmurhash3_operator() -> Any:
    """onnxruntime's contrib ``com.microsoft.MurmurHash3`` (version 1): MurmurHash3 (x86, 32 bits) of each string's
    UTF-8 bytes, int32 with ``positive=0``: scikit-learn's ``murmurhash3_32(s, seed, positive=False)``."""
    return custom_operator(
        "MurmurHash3",
        "com.microsoft",
        inputs=["X"],
        outputs=["Y"],
        attributes={"seed": "int", "positive": "int"},
        doc="onnxruntime's contrib MurmurHash3: the 32-bit MurmurHash3 of each element (int32 when positive=0).",
        elem_types=[np.int32],
    )


def hashed_columns(h: Expr, n_features: int) -> Expr:
    """The int64 column ``abs(h) % n_features`` of each int32 hash ``h``, computed in int64: ``abs(-2**31)`` is
    ``2**31`` there, the column scikit-learn defines for it (``(2**31 - 1 - (n_features - 1)) % n_features``)."""
    return OnnxMod(OnnxAbs(OnnxCast(h, to=onnx.TensorProto.INT64)), np.int64(n_features))


def hashing_counts(est: Any, docs: Expr) -> Expr:
    """HashingVectorizer's [N, n_features] matrix, in the computation dtype, before ``norm``."""
    n_features = est.n_features
    name = type(est).__name__
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or not 1 <= n_features < 2**31:
        raise OnnxAlgebraError(f"{name}(n_features={n_features!r}): n_features must be an integer in [1, 2**31).")
    dtype = computation_dtype()
    grams, valid = analyzed_ngrams(est, docs)
    hashes = murmurhash3_operator()(grams, seed=0, positive=0, output_types=[(np.int32, (None, None))])
    columns = hashed_columns(hashes, int(n_features))
    counted = OnnxCast(valid, to=onnx.helper.np_dtype_to_tensor_dtype(dtype))
    if est.alternate_sign and not est.binary:
        sign = OnnxWhere(OnnxGreaterOrEqual(hashes, np.int32(0)), np.array(1, dtype=dtype), np.array(-1, dtype=dtype))
        counted = OnnxMul(counted, sign)
    zeros = OnnxConstantOfShape(OnnxConcat(OnnxShape(docs), _ints(int(n_features)), axis=0), value=np.zeros(1, dtype=dtype))
    result = OnnxScatterElements(zeros, columns, counted, axis=1, reduction="add")
    if est.binary:  # scikit-learn sets every stored entry to 1: a column some n-gram was hashed to (whatever its sign)
        result = OnnxCast(OnnxGreater(result, np.array(0, dtype=dtype)), to=onnx.helper.np_dtype_to_tensor_dtype(dtype))
    return result


TOKENIZERS = ("onnxruntime", "onnx")


def _tokenizer_option(est: Any, options: dict[str, Any] | None) -> str:
    name = type(est).__name__
    options = dict(options or {})
    tokenizer = options.pop("tokenizer", "onnxruntime")
    if options:
        raise OnnxAlgebraError(
            f"{name}: unknown options {sorted(options)}; the text vectorizers take only 'tokenizer' (one of {list(TOKENIZERS)})."
        )
    if tokenizer not in TOKENIZERS:
        raise OnnxAlgebraError(f"{name}: options={{'tokenizer': {tokenizer!r}}}: expected one of {list(TOKENIZERS)}.")
    return tokenizer


def counts(est: Any, X: Expr, tokenizer: str = "onnxruntime") -> Expr:
    """The [N, n_features] term counts of the documents ``X`` in the computation dtype (0/1 with ``binary``).

    ``tokenizer='onnxruntime'`` builds the graph on onnxruntime's ``Tokenizer``, ``'onnx'`` on standard operators
    only (word analyzers).
    """
    dtype = computation_dtype()
    docs = documents(est, X)
    if tokenizer == "onnx":
        check_analyzer(est)
        result = standard_counts(est, docs)
    else:
        result = tokenizer_counts(est, docs)  # float32 counts: whole numbers, exact up to 2**24
        if dtype != np.float32:
            result = OnnxCast(result, to=onnx.helper.np_dtype_to_tensor_dtype(dtype))
    if est.binary:
        result = OnnxCast(OnnxGreater(result, np.array(0, dtype=dtype)), to=onnx.helper.np_dtype_to_tensor_dtype(dtype))
    return result


def tfidf(est: Any, tf: Expr, weighted: bool = False) -> Expr:
    """TfidfTransformer's formula on counts ``tf``: sublinear tf, idf weights (unless ``weighted``: done already),
    row normalisation."""
    dtype = computation_dtype()
    if est.norm not in ("l1", "l2", None):
        raise OnnxAlgebraError(f"{type(est).__name__}(norm={est.norm!r}): norm must be 'l1', 'l2' or None.")
    zero, one = np.array(0, dtype=dtype), np.array(1, dtype=dtype)
    if est.sublinear_tf and not weighted:  # explicit operators: the counts' dtype is known only once compiled (after an If)
        nonzero = OnnxNot(OnnxEqual(tf, zero))
        tf = OnnxWhere(nonzero, OnnxAdd(OnnxLog(OnnxWhere(nonzero, tf, one)), one), tf)
    if est.use_idf and not weighted:
        tf = OnnxMul(tf, np.asarray(est.idf_).astype(dtype))
    if est.norm is None:
        return tf
    return OnnxLpNormalization(tf, axis=1, p=1 if est.norm == "l1" else 2)  # a row of zeros stays zeros


# --- converters ---


def convert_count_vectorizer(est: Any, X: Expr, options: dict[str, Any] | None = None) -> Expr:
    """CountVectorizer: the [N, n_features] counts of the vocabulary's n-grams in the documents ``X``."""
    return counts(est, X, _tokenizer_option(est, options))


def convert_tfidf_vectorizer(est: Any, X: Expr, options: dict[str, Any] | None = None) -> Expr:
    """TfidfVectorizer: counts, then TfidfTransformer's weighting and normalisation (in float32 with the default
    tokenizer, without ``sublinear_tf``: the idf weights applied by the counting ``TfIdfVectorizer`` itself)."""
    tokenizer = _tokenizer_option(est, options)
    if tokenizer == "onnxruntime" and computation_dtype() == np.float32 and not est.sublinear_tf:
        weights = np.asarray(est.idf_) if est.use_idf else np.ones(len(est.vocabulary_))
        return tfidf(est, tokenizer_counts(est, documents(est, X), weights=weights), weighted=True)
    return tfidf(est, counts(est, X, tokenizer))


def convert_tfidf_transformer(est: Any, X: Expr) -> Expr:
    """TfidfTransformer on a [N, n_features] count matrix."""
    if X.dtype is None or X.dtype.kind != "f":
        X = X.astype(computation_dtype())
    return tfidf(est, X)


def convert_hashing_vectorizer(est: Any, X: Expr, options: dict[str, Any] | None = None) -> Expr:
    """HashingVectorizer: the [N, n_features] signed counts of the hashed n-grams of the documents ``X``, then
    ``binary`` and ``norm``, as a dense matrix in the computation dtype (``n_features`` columns: 4 MiB per document
    in float32 with the default 2**20, 8 MiB in float64; choose a smaller ``n_features`` for large batches)."""
    name = type(est).__name__
    if _tokenizer_option(est, options) == "onnx":
        raise OnnxAlgebraError(
            f"{name} with options={{'tokenizer': 'onnx'}}: MurmurHash3 is onnxruntime's contrib operator "
            "(com.microsoft.MurmurHash3), no standard ONNX operator computes it; use the default tokenizer ('onnxruntime')."
        )
    if est.norm not in ("l1", "l2", None):
        raise OnnxAlgebraError(f"{name}(norm={est.norm!r}): norm must be 'l1', 'l2' or None.")
    result = hashing_counts(est, documents(est, X))
    if est.norm is None:
        return result
    return OnnxLpNormalization(result, axis=1, p=1 if est.norm == "l1" else 2)  # a row of zeros stays zeros


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn.feature_extraction import text

    return {
        convert_count_vectorizer: [text.CountVectorizer],
        convert_tfidf_vectorizer: [text.TfidfVectorizer],
        convert_tfidf_transformer: [text.TfidfTransformer],
        convert_hashing_vectorizer: [text.HashingVectorizer],
    }
