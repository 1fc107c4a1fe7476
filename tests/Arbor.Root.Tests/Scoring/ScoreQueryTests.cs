using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Scoring;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Arbor.Root.Tests.Scoring;

/// <summary>
/// <see cref="ScoreQuery.Parse(ReadOnlySpan{byte})"/> against the generated <see cref="ScoreRequest"/>
/// parser: the same bytes mean the same request, and bytes one refuses the other refuses.
/// </summary>
public sealed class ScoreQueryTests
{
    [Fact]
    public void Parse_AnEncodedRequest_ReadsEveryField()
    {
        var request = new ScoreRequest { Surface = "home", UserId = "u1", RequestId = "r1", ClientFeaturesVersion = "v9" };
        request.Models.Add(new ModelSelector { Name = "m", Version = "2" });
        request.Context["hour"] = new FeatureValue { FloatValue = 13 };
        request.Candidates.Add(new Candidate { Id = "a" });
        request.Candidates.Add(new Candidate { Id = "bé", Features = { ["ctr"] = new FeatureValue { FloatValue = 0.5f } } });
        request.Candidates.Add(new Candidate { Id = "c" });

        var query = ScoreQuery.Parse(request.ToByteArray());

        Assert.Null(query.Malformed);
        Assert.Equal(("home", "u1", "r1", "v9"), (query.Surface, query.UserId, query.RequestId, query.ClientFeaturesVersion));
        Assert.Equal(request.Models, query.Models);
        Assert.Equal(request.Context, query.Context);
        Assert.Equal(["a", "bé", "c"], query.Ids);
        Assert.NotNull(query.CandidateFeatures);
        Assert.Null(query.CandidateFeatures[0]);
        Assert.Equal(0.5f, query.CandidateFeatures[1]!["ctr"].FloatValue);
        Assert.Null(query.CandidateFeatures[2]);
        Assert.Equal(request, query.ToRequest());
    }

    [Fact]
    public void Parse_CandidatesWithoutFeatures_HaveNoFeatureMaps()
    {
        var request = new ScoreRequest { Surface = "home" };
        request.Candidates.Add(new Candidate { Id = "a" });
        request.Candidates.Add(new Candidate { Id = "b" });

        var query = ScoreQuery.Parse(request.ToByteArray());

        Assert.Equal(["a", "b"], query.Ids);
        Assert.Null(query.CandidateFeatures);
    }

    [Fact]
    public void Parse_NoBytes_IsTheEmptyRequest()
    {
        var query = ScoreQuery.Parse(ReadOnlySpan<byte>.Empty);

        Assert.Null(query.Malformed);
        Assert.Equal(0, query.Count);
        Assert.Equal(new ScoreRequest(), query.ToRequest());
    }

    [Fact]
    public void Parse_RandomRequests_MeanWhatTheGeneratedParserReads()
    {
        var random = new Random(20261204);
        for (var i = 0; i < 500; i++)
        {
            var bytes = RandomRequest(random);
            AssertAgrees(bytes, $"request {i}");
        }
    }

    [Fact]
    public void Parse_DamagedRequests_AreRefusedWhenTheGeneratedParserRefusesThem()
    {
        var random = new Random(42);
        var refused = 0;
        for (var i = 0; i < 300; i++)
        {
            var bytes = RandomRequest(random);
            for (var m = 0; m < 10; m++)
            {
                var damaged = Damage(bytes, random);
                refused += AssertAgrees(damaged, $"request {i} damage {m}") ? 0 : 1;
            }
        }

        // The damage is real: many of the damaged requests are not protobuf any more.
        Assert.True(refused > 300, $"only {refused} of 3000 damaged requests were refused");
    }

    [Theory]
    [InlineData(new byte[] { 0x22, 0x05, 0x0A, 0x03, 0x61 }, "ends inside")]
    [InlineData(new byte[] { 0x22, 0x02, 0x0A, 0x05 }, "ends inside")]
    [InlineData(new byte[] { 0x02, 0x00 }, "number 0")]
    [InlineData(new byte[] { 0x22, 0x03, 0x0A, 0x01, 0xFF }, "UTF-8")]
    [InlineData(new byte[] { 0x22, 0x02, 0x0C, 0x00 }, "group ends")]
    [InlineData(new byte[] { 0x0B, 0x08, 0x01 }, "inside a group")]
    [InlineData(new byte[] { 0x0B, 0x14 }, "another group")]
    [InlineData(new byte[] { 0x0F }, "wire type")]
    [InlineData(new byte[] { 0x22, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "negative length")]
    [InlineData(new byte[] { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "longer than 10 bytes")]
    public void Parse_MalformedBytes_SayWhy_AsTheGeneratedParserRefusesThem(byte[] bytes, string reason)
    {
        var query = ScoreQuery.Parse(bytes);

        Assert.NotNull(query.Malformed);
        Assert.Contains(reason, query.Malformed, StringComparison.Ordinal);
        Assert.Equal(0, query.Count);
        Assert.ThrowsAny<Exception>(() => ScoreRequest.Parser.ParseFrom(bytes));
    }

    [Fact]
    public void Parse_AnEarlierIdOfACandidateThatIsNotUtf8_IsRefused_AsByTheGeneratedParser()
    {
        // candidates { id: 0xFF; id: "a" }: the last id wins, but every one is decoded.
        byte[] bytes = [0x22, 0x06, 0x0A, 0x01, 0xFF, 0x0A, 0x01, 0x61];

        Assert.Contains("UTF-8", ScoreQuery.Parse(bytes).Malformed, StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => ScoreRequest.Parser.ParseFrom(bytes));
    }

    [Fact]
    public async Task ResolveIds_IdsTheCacheHolds_TakeItsStringsAndSlots_OthersNewStrings_AndTheReadUsesTheSlots()
    {
        using var meters = new Cache.TestMeterFactory();
        using var metrics = new FeatureCacheMetrics(meters);
        var store = new Cache.FakeFeatureSource();
        foreach (var id in new[] { "c1", "c2", "é3" })
        {
            store.Set(EntityKind.Candidate, id, "a", TypedValue.FromInt64(id.Length));
        }

        var cache = new FeatureCache(store, new FeatureCacheOptions(), TimeProvider.System, metrics);
        (await cache.ReadAsync(EntityKind.Candidate, ["c1", "é3"], FeatureProjection.Of("a"), TestContext.Current.CancellationToken)).ReturnRows();
        var cached = cache.Entities(10).ToDictionary(e => e.Id, e => e.Id);
        var request = new ScoreRequest();
        foreach (var id in new[] { "c1", "c2", "é3", "c9" })
        {
            request.Candidates.Add(new Candidate { Id = id });
        }

        var query = ScoreQuery.Parse(request.ToByteArray());
        query.ResolveIds(cache);

        Assert.Equal(["c1", "c2", "é3", "c9"], query.Ids);
        Assert.Same(cached["c1"], query.IdOf(0));
        Assert.Same(cached["é3"], query.IdOf(2));
        Assert.NotNull(query.Slots);
        Assert.Same(cache, query.Slots.Cache);
        Assert.Equal([true, false, true, false], query.Slots.Slots.Take(4).Select(s => s is not null));
        Assert.Same(cached["c1"], query.Slots.Slots[0]!.Id);

        // The read with the slots answers as the read without them; the store sees only the ids it lacks.
        var withSlots = await cache.ReadAsync(EntityKind.Candidate, query.Ids, FeatureProjection.Of("a"), query.Slots.Slots, TestContext.Current.CancellationToken);
        Assert.Equal([2L, 2L, 2L], new[] { 0, 1, 2 }.Select(r => withSlots[r, 0].AsInt64()));
        Assert.False(withSlots[3, 0].HasValue);
        Assert.Equal(["c2", "c9"], store.Reads[^1].Ids);
        query.ReturnSlots();
        Assert.Null(query.Slots);
    }

    [Fact]
    public async Task CacheRead_ASlotOfAnotherIdOrOneThatLeftTheCache_IsNotUsed()
    {
        using var meters = new Cache.TestMeterFactory();
        using var metrics = new FeatureCacheMetrics(meters);
        var store = new Cache.FakeFeatureSource();
        store.Set(EntityKind.Candidate, "c1", "a", TypedValue.FromInt64(1));
        store.Set(EntityKind.Candidate, "c2", "a", TypedValue.FromInt64(2));
        var cache = new FeatureCache(store, new FeatureCacheOptions(), TimeProvider.System, metrics);
        (await cache.ReadAsync(EntityKind.Candidate, ["c1", "c2"], FeatureProjection.Of("a"), TestContext.Current.CancellationToken)).ReturnRows();
        var c1 = cache.Find(EntityKind.Candidate, "c1")!;
        var c2 = cache.Find(EntityKind.Candidate, "c2")!;
        var gone = new CacheSlot(EntityKind.Candidate, c1.Id) { Evicted = true, Entity = c2.Entity };

        // Swapped slots (an array the pool gave to another request) and an evicted slot holding another entity's values.
        var swapped = await cache.ReadAsync(EntityKind.Candidate, [c1.Id, c2.Id], FeatureProjection.Of("a"), [c2, c1], TestContext.Current.CancellationToken);
        var evicted = await cache.ReadAsync(EntityKind.Candidate, [c1.Id], FeatureProjection.Of("a"), [gone], TestContext.Current.CancellationToken);

        Assert.Equal(1, swapped[0, 0].AsInt64());
        Assert.Equal(2, swapped[1, 0].AsInt64());
        Assert.Equal(1, evicted[0, 0].AsInt64());
        Assert.Single(store.Reads);
    }

    [Fact]
    public void CacheKeyComparer_CharactersAndStrings_HashAndCompareAlike()
    {
        var comparer = CacheKeyComparer.Instance;
        foreach (var id in new[] { "", "c1", "é3", new string('x', 300) })
        {
            var key = new CacheKey(EntityKind.Candidate, id);
            Assert.Equal(comparer.GetHashCode(key), comparer.GetHashCode(new CacheKeyChars(EntityKind.Candidate, id)));
            Assert.True(comparer.Equals(new CacheKeyChars(EntityKind.Candidate, id), key));
            Assert.False(comparer.Equals(new CacheKeyChars(EntityKind.User, id), key));
            Assert.False(comparer.Equals(new CacheKeyChars(EntityKind.Candidate, id + "!"), key));
            Assert.Equal(key, comparer.Create(new CacheKeyChars(EntityKind.Candidate, id)));
        }
    }

    [Fact]
    public void Parse_GroupsNestedPastTheRecursionLimit_AreRefused_AsByTheGeneratedParser()
    {
        var shallow = Groups(depth: 50);
        var deep = Groups(depth: 150);

        Assert.Null(ScoreQuery.Parse(shallow).Malformed);
        Assert.NotNull(ScoreRequest.Parser.ParseFrom(shallow));
        Assert.Contains("nested too deeply", ScoreQuery.Parse(deep).Malformed, StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => ScoreRequest.Parser.ParseFrom(deep));

        static byte[] Groups(int depth)
        {
            var bytes = new List<byte>();
            for (var i = 0; i < depth; i++)
            {
                bytes.Add(0x5B); // field 11, start group
            }

            for (var i = 0; i < depth; i++)
            {
                bytes.Add(0x5C); // field 11, end group
            }

            return [.. bytes];
        }
    }

    [Fact]
    public void Parse_ASequenceInPieces_ReadsLikeOneBuffer()
    {
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var bytes = RandomRequest(random);
            var whole = ScoreQuery.Parse(bytes);
            var pieces = ScoreQuery.Parse(InPieces(bytes, random));

            Assert.Equal(whole.Malformed, pieces.Malformed);
            Assert.Equal(whole.ToRequest(), pieces.ToRequest());
        }
    }

    [Fact]
    public void From_AParsedRequest_RefersToItsCandidates()
    {
        var request = new ScoreRequest { Surface = "home" };
        request.Candidates.Add(new Candidate { Id = "a", Features = { ["x"] = new FeatureValue { FloatValue = 1 } } });
        request.Candidates.Add(new Candidate { Id = "b" });

        var query = ScoreQuery.From(request);

        Assert.Equal(["a", "b"], query.Ids);
        Assert.Same(request.Candidates[0].Features, query.CandidateFeatures![0]);
        Assert.Null(query.CandidateFeatures[1]);
        Assert.Equal(request, query.ToRequest());
    }

    [Fact]
    public void SameFeatures_NoneAndEqualMapsAreTheSame_OtherValuesAreNot()
    {
        var request = new ScoreRequest();
        request.Candidates.Add(new Candidate { Id = "a", Features = { ["x"] = new FeatureValue { FloatValue = 1 } } });
        request.Candidates.Add(new Candidate { Id = "a", Features = { ["x"] = new FeatureValue { FloatValue = 1 } } });
        request.Candidates.Add(new Candidate { Id = "a", Features = { ["x"] = new FeatureValue { FloatValue = 2 } } });
        request.Candidates.Add(new Candidate { Id = "a" });
        request.Candidates.Add(new Candidate { Id = "a" });

        var query = ScoreQuery.Parse(request.ToByteArray());

        Assert.True(query.SameFeatures(0, 1));
        Assert.False(query.SameFeatures(0, 2));
        Assert.False(query.SameFeatures(0, 3));
        Assert.True(query.SameFeatures(3, 4));
    }

    /// <summary>Asserts that the query and the generated parser agree; true when the bytes were accepted.</summary>
    private static bool AssertAgrees(byte[] bytes, string what)
    {
        ScoreRequest? expected;
        try
        {
            expected = ScoreRequest.Parser.ParseFrom(bytes);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or System.Text.DecoderFallbackException)
        {
            expected = null;
        }

        var query = ScoreQuery.Parse(bytes);
        if (expected is null)
        {
            Assert.True(query.Malformed is not null, $"{what}: the generated parser refuses {Convert.ToHexString(bytes)}; the query reads it");
            return false;
        }

        Assert.True(query.Malformed is null, $"{what}: the generated parser reads {Convert.ToHexString(bytes)}; the query says {query.Malformed}");
        Assert.Equal(expected.Surface, query.Surface);
        Assert.Equal(expected.UserId, query.UserId);
        Assert.Equal(expected.RequestId, query.RequestId);
        Assert.Equal(expected.ClientFeaturesVersion, query.ClientFeaturesVersion);
        Assert.Equal(expected.Models, query.Models);
        Assert.Equal(expected.Context, query.Context);
        Assert.Equal(expected.Candidates.Select(c => c.Id), query.Ids);
        for (var i = 0; i < expected.Candidates.Count; i++)
        {
            var features = query.CandidateFeatures?[i];
            if (expected.Candidates[i].Features.Count == 0)
            {
                Assert.Null(features);
            }
            else
            {
                Assert.True(expected.Candidates[i].Features.Equals((MapField<string, FeatureValue>)features!), $"{what}: candidate {i}'s features differ");
            }
        }

        return true;
    }

    /// <summary>
    /// A request as a client could encode it: its fields in any order, some repeated (the last string
    /// wins, lists and maps add up), unknown fields of every wire type (groups too) at the top and in
    /// candidates, ids of any characters (empty ones too), and candidates with or without features.
    /// </summary>
    private static byte[] RandomRequest(Random random)
    {
        var fields = new List<byte[]>();
        var count = random.Next(0, 12);
        for (var i = 0; i < count; i++)
        {
            var candidate = new List<byte[]>();
            var parts = random.Next(0, 4);
            for (var p = 0; p < parts; p++)
            {
                candidate.Add(random.Next(5) switch
                {
                    0 or 1 => new Candidate { Id = RandomString(random) }.ToByteArray(),
                    2 => new Candidate { Features = { [RandomString(random)] = RandomValue(random) } }.ToByteArray(),
                    _ => UnknownField(random, field: random.Next(3, 40)),
                });
            }

            fields.Add(Field(4, [.. candidate.SelectMany(b => b)]));
        }

        var others = random.Next(0, 8);
        for (var i = 0; i < others; i++)
        {
            fields.Add(random.Next(8) switch
            {
                0 => new ScoreRequest { Surface = RandomString(random) }.ToByteArray(),
                1 => new ScoreRequest { UserId = RandomString(random) }.ToByteArray(),
                2 => new ScoreRequest { RequestId = RandomString(random) }.ToByteArray(),
                3 => new ScoreRequest { ClientFeaturesVersion = RandomString(random) }.ToByteArray(),
                4 => new ScoreRequest { Models = { new ModelSelector { Name = RandomString(random), Version = RandomString(random) } } }.ToByteArray(),
                5 => new ScoreRequest { Context = { [RandomString(random)] = RandomValue(random) } }.ToByteArray(),
                _ => UnknownField(random, field: random.Next(8, 200)),
            });
        }

        // Fields of a message may come in any order.
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fields));
        return [.. fields.SelectMany(b => b)];
    }

    private static string RandomString(Random random) => random.Next(6) switch
    {
        0 => "",
        1 => "pin_" + random.Next(100_000),
        2 => "é✓𝄞" + random.Next(10),
        3 => new string('x', random.Next(100, 300)),
        _ => "c" + random.Next(50),
    };

    private static FeatureValue RandomValue(Random random) => random.Next(3) switch
    {
        0 => new FeatureValue { FloatValue = (float)random.NextDouble() },
        1 => new FeatureValue { Int64Value = random.NextInt64() },
        _ => new FeatureValue { StringValue = RandomString(random) },
    };

    private static byte[] Field(int number, byte[] payload)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] UnknownField(Random random, int field)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        WriteUnknown(output, random, field, depth: 0);
        output.Flush();
        return stream.ToArray();
    }

    private static void WriteUnknown(CodedOutputStream output, Random random, int field, int depth)
    {
        switch (random.Next(depth < 2 ? 5 : 4))
        {
            case 0:
                output.WriteTag(field, WireFormat.WireType.Varint);
                output.WriteUInt64((ulong)random.NextInt64());
                break;
            case 1:
                output.WriteTag(field, WireFormat.WireType.Fixed32);
                output.WriteFixed32((uint)random.Next());
                break;
            case 2:
                output.WriteTag(field, WireFormat.WireType.Fixed64);
                output.WriteFixed64((ulong)random.NextInt64());
                break;
            case 3:
                output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                var bytes = new byte[random.Next(0, 20)];
                random.NextBytes(bytes);
                output.WriteBytes(ByteString.CopyFrom(bytes));
                break;
            default:
                output.WriteTag(field, WireFormat.WireType.StartGroup);
                for (var i = random.Next(0, 3); i > 0; i--)
                {
                    WriteUnknown(output, random, random.Next(1, 30), depth + 1);
                }

                output.WriteTag(field, WireFormat.WireType.EndGroup);
                break;
        }
    }

    private static byte[] Damage(byte[] bytes, Random random)
    {
        var damaged = bytes.ToList();
        if (damaged.Count == 0)
        {
            return [(byte)random.Next(256)];
        }

        switch (random.Next(4))
        {
            case 0:
                var cut = random.Next(damaged.Count);
                damaged.RemoveRange(cut, damaged.Count - cut);
                break;
            case 1:
                damaged[random.Next(damaged.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 2:
                damaged.Insert(random.Next(damaged.Count + 1), (byte)random.Next(256));
                break;
            default:
                damaged[random.Next(damaged.Count)] = (byte)random.Next(256);
                break;
        }

        return [.. damaged];
    }

    private static ReadOnlySequence<byte> InPieces(byte[] bytes, Random random)
    {
        Piece? first = null, last = null;
        var at = 0;
        do
        {
            var length = Math.Min(bytes.Length - at, random.Next(1, 8));
            var piece = new Piece(bytes.AsMemory(at, length), at);
            at += length;
            if (first is null)
            {
                first = last = piece;
            }
            else
            {
                last!.Append(piece);
                last = piece;
            }
        }
        while (at < bytes.Length);

        return new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Append(Piece next) => Next = next;
    }
}
