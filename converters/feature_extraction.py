"""Text vectorizers: CountVectorizer, TfidfVectorizer (string documents in), TfidfTransformer (counts in).

The input is a string tensor of documents, ``[N]`` (what ``to_onnx(est,
np.array(["some text"], dtype=object))`` declares) or ``[N, 1]``. Standard
ONNX operators only (onnxruntime's contrib ``Tokenizer`` is not reachable from
the algebra), so scikit-learn's analyzer is rebuilt from what they can do:

1. ``lowercase``: one ``StringNormalizer`` (``LOWER``, locale ``C.UTF-8``: the
   locale must exist where the model runs; onnxruntime rejects a batch of 0
   documents there);
2. tokens: ``StringSplit`` on whitespace, then one ``StringSplit`` per
   non-word character of :data:`DELIMITERS` (all of ASCII's, Latin-1's
   punctuation and symbols, the common typographic marks of U+2000-U+206F and
   currency signs), the tokens kept flat ([T]) with the row they come from and
   empty pieces dropped (``Compress``): no padding, so n-grams never span a
   gap;
3. ``token_pattern``: a token is kept when it is a run of at least 2 (``\\w\\w+``)
   or 1 (``\\w+``) word characters, ``RegexFullMatch`` with
   ``[\\p{L}\\p{N}_]`` (RE2's classes for Python's ``\\w``); a token still
   holding a character that is not a word character (one outside
   :data:`DELIMITERS`) could not be split as scikit-learn would, so its
   document's row is NaN, never a silently different count;
4. ``stop_words``: a ``LabelEncoder`` flags them, ``Compress`` drops them
   (before n-grams are formed, as scikit-learn);
5. n-grams of ``ngram_range``: adjacent tokens of one row joined by a space
   (``StringConcat``), then one ``LabelEncoder`` gives each its column in
   ``vocabulary_`` (-1: unknown) and a ``ScatterElements`` with ``add`` counts
   them into the [N, n_features] matrix.

The counts are in the computation dtype (float32 for string input, or the
``dtype`` given to ``to_onnx``), whatever the vectorizer's ``dtype``: the same
values, in the type the next step computes in. TfidfVectorizer and
TfidfTransformer then apply ``log(tf) + 1`` to non-zero counts
(``sublinear_tf``), ``idf_`` and the ``l1``/``l2`` row normalisation (a row
of zeros stays zeros), as scikit-learn.

Not expressible (a clear ``OnnxAlgebraError``): ``analyzer='char'`` /
``'char_wb'`` and callables (no ONNX operator splits a string into
characters), custom ``tokenizer``/``preprocessor``, ``strip_accents``, other
``token_pattern`` values, ``input='filename'``/``'file'``, and
HashingVectorizer (MurmurHash3 has no ONNX operator).
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
    OnnxGreater,
    OnnxIf,
    OnnxLabelEncoder,
    OnnxLog,
    OnnxMul,
    OnnxNot,
    OnnxRange,
    OnnxReduceSum,
    OnnxRegexFullMatch,
    OnnxReshape,
    OnnxScatterElements,
    OnnxShape,
    OnnxSqrt,
    OnnxSqueeze,
    OnnxStringConcat,
    OnnxStringNormalizer,
    OnnxStringSplit,
    OnnxWhere,
    computation_dtype,
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


def check_analyzer(est: Any) -> int:
    """The least token length of ``est``'s word analyzer; a clear error for what the graph cannot reproduce."""
    name = type(est).__name__
    if est.input != "content":
        raise OnnxAlgebraError(f"{name}(input={est.input!r}): only input='content' (the documents themselves) converts.")
    if callable(est.analyzer):
        raise OnnxAlgebraError(
            f"{name}: a callable analyzer ({est.analyzer!r}) cannot be converted to ONNX; use analyzer='word'."
        )
    if est.analyzer != "word":
        raise OnnxAlgebraError(
            f"{name}(analyzer={est.analyzer!r}): character n-grams cannot be converted (no ONNX operator splits a string "
            "into characters); only analyzer='word' converts."
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


def counts(est: Any, X: Expr) -> Expr:
    """The [N, n_features] term counts of the documents ``X`` in the computation dtype (0/1 with ``binary``)."""
    dtype = computation_dtype()
    docs = documents(est, X)
    n_docs = OnnxSqueeze(OnnxShape(docs))
    tok, rows, bad = tokens(est, docs, n_docs)
    column, gram_rows = ngram_columns(est, tok, rows)
    width = len(est.vocabulary_)
    cells = _scatter_add(OnnxMul(n_docs, np.int64(width)), OnnxAdd(OnnxMul(gram_rows, np.int64(width)), column), dtype)
    result = OnnxReshape(cells, np.array([-1, width], dtype=np.int64))
    if est.binary:
        result = OnnxCast(OnnxGreater(result, np.array(0, dtype=dtype)), to=onnx.helper.np_dtype_to_tensor_dtype(dtype))
    flagged = OnnxReshape(_scatter_add(n_docs, bad, dtype), np.array([-1, 1], dtype=np.int64)) > 0
    return OnnxWhere(flagged, np.array(np.nan, dtype=dtype), result)


def tfidf(est: Any, tf: Expr) -> Expr:
    """TfidfTransformer's formula on counts ``tf``: sublinear tf, idf weights, row normalisation."""
    dtype = computation_dtype()
    if est.norm not in ("l1", "l2", None):
        raise OnnxAlgebraError(f"{type(est).__name__}(norm={est.norm!r}): norm must be 'l1', 'l2' or None.")
    zero, one = np.array(0, dtype=dtype), np.array(1, dtype=dtype)
    if est.sublinear_tf:  # explicit operators: the counts' dtype is known only once compiled (after an If)
        nonzero = OnnxNot(OnnxEqual(tf, zero))
        tf = OnnxWhere(nonzero, OnnxAdd(OnnxLog(OnnxWhere(nonzero, tf, one)), one), tf)
    if est.use_idf:
        tf = OnnxMul(tf, np.asarray(est.idf_).astype(dtype))
    if est.norm is None:
        return tf
    axis = np.array([1], dtype=np.int64)
    if est.norm == "l1":
        total = OnnxReduceSum(OnnxAbs(tf), axis, keepdims=1)
    else:
        total = OnnxSqrt(OnnxReduceSum(OnnxMul(tf, tf), axis, keepdims=1))
    return OnnxDiv(tf, OnnxWhere(OnnxEqual(total, zero), one, total))


# --- converters ---


def convert_count_vectorizer(est: Any, X: Expr) -> Expr:
    """CountVectorizer: the [N, n_features] counts of the vocabulary's n-grams in the documents ``X``."""
    return counts(est, X)


def convert_tfidf_vectorizer(est: Any, X: Expr) -> Expr:
    """TfidfVectorizer: counts, then TfidfTransformer's weighting and normalisation."""
    return tfidf(est, counts(est, X))


def convert_tfidf_transformer(est: Any, X: Expr) -> Expr:
    """TfidfTransformer on a [N, n_features] count matrix."""
    if X.dtype is None or X.dtype.kind != "f":
        X = X.astype(computation_dtype())
    return tfidf(est, X)


def convert_hashing_vectorizer(est: Any, X: Expr) -> Expr:
    """HashingVectorizer: not convertible, a clear error."""
    raise OnnxAlgebraError(
        "HashingVectorizer cannot be converted to ONNX: it hashes tokens with MurmurHash3, which no ONNX operator "
        "(nor onnxruntime) computes. Use a CountVectorizer or TfidfVectorizer (a fitted vocabulary) instead."
    )


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn.feature_extraction import text

    return {
        convert_count_vectorizer: [text.CountVectorizer],
        convert_tfidf_vectorizer: [text.TfidfVectorizer],
        convert_tfidf_transformer: [text.TfidfTransformer],
        convert_hashing_vectorizer: [text.HashingVectorizer],
    }
