using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Arbor.Root.Scoring;

/// <summary>
/// A score request as the root reads it: the request's own fields, and its candidates as an array of
/// ids in request order, with no object per candidate. Only a candidate that carries client
/// features has a map (its <c>features</c>); the others are an id each.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Parse(ReadOnlySequence{byte})"/> reads the <c>arbor.v1.ScoreRequest</c> wire format
/// (the gRPC path): the <c>candidates</c> fields are read in place, and every other field is handed,
/// in its original order, to the generated parser (<see cref="ScoreRequest"/> without candidates), so
/// repeated and unknown fields, maps and last-one-wins strings mean what they mean to any protobuf
/// reader. A candidate with <c>features</c> is parsed by the generated <see cref="Candidate"/>
/// parser. Bytes the generated parser refuses are refused here too.
/// </para>
/// <para>
/// The other candidates' ids stay UTF-8 bytes (in a pooled buffer) until the scorer makes them
/// strings against its feature cache (<see cref="ResolveIds"/>): an id the cache holds takes the
/// cache's own string and its slot, which the cache read then uses instead of a second lookup, so a
/// request of cached candidates makes no string per candidate.
/// </para>
/// <para>
/// A request that is not a valid <c>ScoreRequest</c> is still a query (<see cref="Malformed"/>), so
/// that the scorer refuses it (INVALID_ARGUMENT) where every other refusal is counted.
/// <see cref="From"/> reads an already parsed request (the JSON endpoint, tests).
/// </para>
/// </remarks>
public sealed class ScoreQuery
{
    private const uint CandidatesTag = (4 << 3) | 2;
    private const uint IdTag = (1 << 3) | 2;
    private const uint FeaturesTag = (2 << 3) | 2;

    // The generated parsers' recursion limit: messages and groups nested deeper are refused.
    private const int RecursionLimit = 100;

    // Decodes ids already checked as UTF-8 at parse time (ReadCandidate refuses invalid bytes, as the generated parser does).
    private static readonly System.Text.UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly ScoreRequest NoHead = new();

    // The longest id decoded on the stack; a longer one takes a rented buffer.
    private const int StackIdChars = 256;

    private readonly ScoreRequest _head;
    private readonly string[] _ids;
    private readonly MapField<string, FeatureValue>?[]? _features;

    // Until the ids are made strings (ResolveIds): the UTF-8 ids of the candidates read in place, one
    // after another in a rented buffer, and per candidate where its id ends there (a candidate read by
    // the generated parser has its string already and an empty range).
    private byte[]? _idBytes;
    private int[]? _idEnds;

    // After ResolveIds with a cache: per candidate, the cache slot its id was found in (rented).
    private CacheSlots? _slots;

    private ScoreQuery(ScoreRequest head, string[] ids, MapField<string, FeatureValue>?[]? features, string? malformed = null, byte[]? idBytes = null, int[]? idEnds = null)
    {
        _head = head;
        _ids = ids;
        _features = features;
        Malformed = malformed;
        _idBytes = idBytes;
        _idEnds = idEnds;
    }

    /// <summary>The product surface (empty when the request names models).</summary>
    public string Surface => _head.Surface;

    /// <summary>The models the request names (empty: the surface's).</summary>
    public RepeatedField<ModelSelector> Models => _head.Models;

    /// <summary>The user the request is for.</summary>
    public string UserId => _head.UserId;

    /// <summary>Request-level features the client sent.</summary>
    public MapField<string, FeatureValue> Context => _head.Context;

    /// <summary>The caller's id for the request (echoed).</summary>
    public string RequestId => _head.RequestId;

    /// <summary>The client feature view version the client trimmed to (empty: none).</summary>
    public string ClientFeaturesVersion => _head.ClientFeaturesVersion;

    /// <summary>The candidates (entries) of the request.</summary>
    public int Count => _ids.Length;

    /// <summary>Each candidate's id, in request order.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            ResolveIds(null);
            return _ids;
        }
    }

    /// <summary>
    /// Per candidate, the feature cache slot its id was found in when the ids were made strings
    /// (<see cref="ResolveIds"/>); null when they were not resolved against a cache.
    /// </summary>
    internal CacheSlots? Slots => _slots;

    /// <summary>
    /// Per candidate (request order), the features its client sent, or null when it sent none; null
    /// when no candidate carries any.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, FeatureValue>?>? CandidateFeatures => _features;

    /// <summary>Why the request's bytes are not a <c>ScoreRequest</c>; null for a well-formed request.</summary>
    public string? Malformed { get; }

    /// <summary>The id of candidate <paramref name="candidate"/>.</summary>
    public string IdOf(int candidate)
    {
        ResolveIds(null);
        return _ids[candidate];
    }

    /// <summary>
    /// Makes the candidates' ids strings, once: an id the cache holds takes the cache's own string (and
    /// its slot is kept for the cache read, <see cref="Slots"/>), any other a new one. Before this the
    /// ids are UTF-8 bytes of the request; <see cref="Ids"/> and <see cref="IdOf"/> resolve without a
    /// cache when it was not called.
    /// </summary>
    internal void ResolveIds(FeatureCache? cache)
    {
        if (_idBytes is not { } bytes || _idEnds is not { } ends)
        {
            return;
        }

        CacheSlot?[]? slots = null;
        if (cache is not null)
        {
            slots = ArrayPool<CacheSlot?>.Shared.Rent(_ids.Length);
            slots.AsSpan(0, _ids.Length).Clear();
        }

        char[]? rented = null;
        Span<char> chars = stackalloc char[StackIdChars];
        var start = 0;
        for (var c = 0; c < _ids.Length; c++)
        {
            var end = ends[c];
            if (_ids[c] is null)
            {
                var utf8 = bytes.AsSpan(start, end - start);
                if (utf8.Length > chars.Length)
                {
                    if (rented is not null)
                    {
                        ArrayPool<char>.Shared.Return(rented);
                    }

                    chars = rented = ArrayPool<char>.Shared.Rent(utf8.Length);
                }

                var id = chars[..Utf8.GetChars(utf8, chars)];
                var slot = cache?.Find(EntityKind.Candidate, id);
                _ids[c] = slot?.Id ?? new string(id);
                if (slots is not null)
                {
                    slots[c] = slot;
                }
            }

            start = end;
        }

        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        _slots = slots is null ? null : new CacheSlots(cache!, slots, Rented: true);
        (_idBytes, _idEnds) = (null, null);
        ArrayPool<byte>.Shared.Return(bytes);
        ArrayPool<int>.Shared.Return(ends);
    }

    /// <summary>Gives the rented slots back (the request is answered); a later cache read looks its ids up.</summary>
    internal void ReturnSlots()
    {
        if (_slots is { Rented: true } slots)
        {
            _slots = null;
            ArrayPool<CacheSlot?>.Shared.Return(slots.Slots);
        }
    }

    /// <summary>Whether two candidates carry the same client features (none and an empty map are the same).</summary>
    public bool SameFeatures(int candidate, int other)
    {
        if (_features is null)
        {
            return true;
        }

        var (a, b) = (_features[candidate], _features[other]);
        return a is null || b is null ? (a?.Count ?? 0) == (b?.Count ?? 0) : a.Equals(b);
    }

    /// <summary>The query of an already parsed request (its candidates' ids and features are referenced, not copied).</summary>
    public static ScoreQuery From(ScoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var candidates = request.Candidates;
        var ids = new string[candidates.Count];
        MapField<string, FeatureValue>?[]? features = null;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = candidates[i].Id;
            if (candidates[i].Features.Count > 0)
            {
                (features ??= new MapField<string, FeatureValue>?[ids.Length])[i] = candidates[i].Features;
            }
        }

        return new ScoreQuery(request, ids, features);
    }

    /// <summary>Reads a serialized <c>ScoreRequest</c>; bytes that are not one give a <see cref="Malformed"/> query.</summary>
    public static ScoreQuery Parse(ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            return Parse(message.FirstSpan);
        }

        // The transport's buffer is in pieces: read a contiguous copy (returned before the call goes on).
        var length = checked((int)message.Length);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            message.CopyTo(copy);
            return Parse(copy.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Reads a serialized <c>ScoreRequest</c>; bytes that are not one give a <see cref="Malformed"/> query.</summary>
    public static ScoreQuery Parse(ReadOnlySpan<byte> message)
    {
        try
        {
            return ParseCore(message);
        }
        catch (MalformedException e)
        {
            return new ScoreQuery(NoHead, [], null, e.Message);
        }
        catch (InvalidProtocolBufferException)
        {
            // The generated parser's own refusal of the request's other fields or a candidate's features.
            return new ScoreQuery(NoHead, [], null, "a field is not valid protobuf");
        }
    }

    /// <summary>The candidates <paramref name="entries"/> of this request (in that order), with its other fields.</summary>
    internal ScoreQuery Select(IReadOnlyList<int> entries)
    {
        ResolveIds(null);
        var ids = new string[entries.Count];
        var features = _features is null ? null : new MapField<string, FeatureValue>?[entries.Count];
        var slots = _slots is null ? null : new CacheSlot?[entries.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _ids[entries[i]];
            if (features is not null)
            {
                features[i] = _features![entries[i]];
            }

            if (slots is not null)
            {
                slots[i] = _slots!.Slots[entries[i]];
            }
        }

        return new ScoreQuery(_head, ids, features, Malformed) { _slots = slots is null ? null : new CacheSlots(_slots!.Cache, slots, Rented: false) };
    }

    /// <summary>The generated request with the same content (tests, diagnostics).</summary>
    public ScoreRequest ToRequest()
    {
        ResolveIds(null);
        var request = _head.Clone();
        request.Candidates.Clear();
        for (var i = 0; i < _ids.Length; i++)
        {
            var candidate = new Candidate { Id = _ids[i] };
            if (_features?[i] is { } features)
            {
                candidate.Features.Add(features);
            }

            request.Candidates.Add(candidate);
        }

        return request;
    }

    private static ScoreQuery ParseCore(ReadOnlySpan<byte> message)
    {
        // First pass: how many candidates (and their bytes, an upper bound on their ids'), and how many bytes the other fields take.
        var candidates = 0;
        var candidateBytes = 0;
        var headBytes = 0;
        var reader = new WireReader(message);
        while (!reader.AtEnd)
        {
            var start = reader.Position;
            var tag = reader.ReadTag();
            if (tag == CandidatesTag)
            {
                var length = reader.ReadLength();
                reader.Skip(length);
                candidateBytes += length;
                candidates++;
            }
            else
            {
                reader.SkipField(tag, depth: 0);
                headBytes += reader.Position - start;
            }
        }

        // Second pass: read each candidate in place (its id's bytes copied, made a string later); copy
        // the other fields, in order, for the generated parser.
        var ids = new string[candidates];
        var idBytes = ArrayPool<byte>.Shared.Rent(candidateBytes);
        var idEnds = ArrayPool<int>.Shared.Rent(candidates);
        var idLength = 0;
        MapField<string, FeatureValue>?[]? features = null;
        var head = headBytes == 0 ? null : ArrayPool<byte>.Shared.Rent(headBytes);
        var parsed = false;
        try
        {
            var written = 0;
            var candidate = 0;
            reader = new WireReader(message);
            while (!reader.AtEnd)
            {
                var start = reader.Position;
                var tag = reader.ReadTag();
                if (tag == CandidatesTag)
                {
                    var length = reader.ReadLength();
                    var entry = message.Slice(reader.Position, length);
                    reader.Skip(length);
                    if (ReadCandidate(entry, out var idStart, out var idCount))
                    {
                        entry.Slice(idStart, idCount).CopyTo(idBytes.AsSpan(idLength));
                        idLength += idCount;
                    }
                    else
                    {
                        // A candidate with client features: the generated parser reads it whole.
                        var full = Candidate.Parser.ParseFrom(entry);
                        ids[candidate] = full.Id;
                        if (full.Features.Count > 0)
                        {
                            (features ??= new MapField<string, FeatureValue>?[candidates])[candidate] = full.Features;
                        }
                    }

                    idEnds[candidate] = idLength;
                    candidate++;
                }
                else
                {
                    reader.SkipField(tag, depth: 0);
                    message[start..reader.Position].CopyTo(head.AsSpan(written));
                    written += reader.Position - start;
                }
            }

            var request = head is null ? new ScoreRequest() : ScoreRequest.Parser.ParseFrom(head.AsSpan(0, written));
            parsed = true;
            return new ScoreQuery(request, ids, features, idBytes: idBytes, idEnds: idEnds);
        }
        finally
        {
            if (head is not null)
            {
                ArrayPool<byte>.Shared.Return(head);
            }

            if (!parsed)
            {
                ArrayPool<byte>.Shared.Return(idBytes);
                ArrayPool<int>.Shared.Return(idEnds);
            }
        }
    }

    /// <summary>Finds a candidate's id (where its UTF-8 bytes lie in <paramref name="entry"/>); false when the candidate carries features (read by the generated parser then).</summary>
    private static bool ReadCandidate(ReadOnlySpan<byte> entry, out int idStart, out int idLength)
    {
        (idStart, idLength) = (0, 0);
        var reader = new WireReader(entry);
        var simple = true;
        while (!reader.AtEnd)
        {
            var tag = reader.ReadTag();
            if (tag == IdTag)
            {
                // The last id wins, as in any protobuf reader; every one must be UTF-8, as there.
                idLength = reader.ReadLength();
                idStart = reader.Position;
                reader.Skip(idLength);
                if (!System.Text.Unicode.Utf8.IsValid(entry.Slice(idStart, idLength)))
                {
                    throw new MalformedException("a string is not valid UTF-8");
                }
            }
            else
            {
                simple &= tag != FeaturesTag;
                reader.SkipField(tag, depth: 1);
            }
        }

        return simple;
    }

    /// <summary>The wire format's structure, read and checked as the generated parser checks it.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _buffer.Length;

        public uint ReadTag()
        {
            var tag = (uint)ReadVarint(tolerateLong32: true);
            if (tag >> 3 == 0)
            {
                throw new MalformedException("a field has number 0");
            }

            return tag;
        }

        public int ReadLength()
        {
            var length = (int)(uint)ReadVarint(tolerateLong32: true);
            if (length < 0)
            {
                throw new MalformedException("a field has a negative length");
            }

            if (length > _buffer.Length - Position)
            {
                throw new MalformedException("the request ends inside a field");
            }

            return length;
        }

        public void Skip(int bytes)
        {
            if (bytes > _buffer.Length - Position)
            {
                throw new MalformedException("the request ends inside a field");
            }

            Position += bytes;
        }

        /// <summary>Skips the value of the field whose tag was just read (a group up to its end).</summary>
        public void SkipField(uint tag, int depth)
        {
            switch (tag & 7)
            {
                case 0:
                    ReadVarint(tolerateLong32: false);
                    break;
                case 1:
                    Skip(8);
                    break;
                case 2:
                    Skip(ReadLength());
                    break;
                case 3:
                    SkipGroup(tag >> 3, depth);
                    break;
                case 5:
                    Skip(4);
                    break;
                case 4:
                    throw new MalformedException("a group ends that did not start");
                default:
                    throw new MalformedException("a field has an invalid wire type");
            }
        }

        private void SkipGroup(uint field, int depth)
        {
            if (depth >= RecursionLimit)
            {
                throw new MalformedException("groups are nested too deeply");
            }

            while (!AtEnd)
            {
                var tag = ReadTag();
                if ((tag & 7) == 4)
                {
                    if (tag >> 3 != field)
                    {
                        throw new MalformedException("a group ends with another group's tag");
                    }

                    return;
                }

                SkipField(tag, depth + 1);
            }

            throw new MalformedException("the request ends inside a group");
        }

        /// <summary>
        /// A varint of up to 10 bytes. Tags and lengths are 32-bit: as the generated parser does, their
        /// bytes past the fifth are read and dropped.
        /// </summary>
        private ulong ReadVarint(bool tolerateLong32)
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                if (Position >= _buffer.Length)
                {
                    throw new MalformedException("the request ends inside a field");
                }

                var b = _buffer[Position++];
                if (shift < 64)
                {
                    value |= (ulong)(b & 0x7F) << shift;
                }

                if ((b & 0x80) == 0)
                {
                    return tolerateLong32 ? (uint)value : value;
                }
            }

            throw new MalformedException("a varint is longer than 10 bytes");
        }
    }

    private sealed class MalformedException(string message) : Exception(message);
}
