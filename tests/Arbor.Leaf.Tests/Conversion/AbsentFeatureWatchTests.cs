using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Arbor.Contracts.V1;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Signatures.Signatures;
using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Tests.Conversion;

public sealed class AbsentFeatureWatchTests : IDisposable
{
    private static readonly ModuleInfo Signature = ModuleInfoParser.Parse("""
        {"schema": "arbor.module_info/v1", "model": "ctr", "version": "4",
         "inputs": [{"name": "dense", "kind": "dense", "dtype": "float32", "features": ["a", "b"]},
                    {"name": "ids", "kind": "id_list", "dtype": "int64", "features": ["ids"], "max_length": 4}],
         "outputs": [{"name": "p"}]}
        """);

    private readonly LeafMetrics _metrics = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Feature, long Value)> _counted = new();
    private readonly Logs _logs = new();
    private readonly FeatureConverter _converter = new(Signature);

    public AbsentFeatureWatchTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == _metrics.Meter && instrument.Name == "arbor.leaf.features.never_received")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? feature = null;
            foreach (var tag in tags)
            {
                feature = tag.Key == "feature" ? (string?)tag.Value : feature;
            }

            _counted.Enqueue((feature!, value));
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public void Observe_FeatureNoRequestCarries_CountsEachRequestAndLogsOnceAtTheThreshold()
    {
        var watch = new AbsentFeatureWatch(Signature, _metrics, _logs, reportAfterRequests: 3);

        for (var i = 0; i < 5; i++)
        {
            using var batch = _converter.Convert(Request("a", "ids"), watch);
        }

        Assert.Equal(5, _counted.Count(c => c.Feature == "b"));
        Assert.DoesNotContain(_counted, c => c.Feature is "a" or "ids");
        var warning = Assert.Single(_logs.Entries);
        Assert.Equal((LogLevel.Warning, 5022), (warning.Level, warning.EventId));
        Assert.Equal("ctr version 4 needs feature b (input dense), which none of its first 3 requests carried: it scores on the input's default (is the feature in the root's feature registry and store?)", warning.Message);
        Assert.Equal(["b"], watch.NeverReceived());
    }

    [Fact]
    public void Observe_FeatureThatArrivesLater_StopsCountingAndIsNotLogged()
    {
        var watch = new AbsentFeatureWatch(Signature, _metrics, _logs, reportAfterRequests: 3);

        using (var first = _converter.Convert(Request("a"), watch))
        {
            Assert.Equal(["b", "ids"], watch.NeverReceived());
        }

        using (var second = _converter.Convert(Request("b", "ids"), watch))
        {
            Assert.Empty(watch.NeverReceived());
        }

        for (var i = 0; i < 3; i++)
        {
            using var batch = _converter.Convert(Request(), watch);
        }

        Assert.Equal([("b", 1L), ("ids", 1L)], _counted.OrderBy(c => c.Feature, StringComparer.Ordinal));
        Assert.Empty(_logs.Entries);
    }

    [Fact]
    public void Observe_ManyThreads_EachFeatureIsLoggedOnce()
    {
        var watch = new AbsentFeatureWatch(Signature, _metrics, _logs, reportAfterRequests: 50);

        Parallel.For(0, 400, _ =>
        {
            using var batch = _converter.Convert(Request("a"), watch);
        });

        Assert.Equal(["b", "ids"], _logs.Entries.Select(e => e.Message.Split(' ')[5]).Order(StringComparer.Ordinal));
        Assert.Equal(400, _counted.Count(c => c.Feature == "b"));
    }

    private static LeafScoreRequest Request(params string[] features)
    {
        var request = new LeafScoreRequest { Model = "ctr", RowCount = 2 };
        foreach (var feature in features)
        {
            request.Columns.Add(feature == "ids"
                ? new FeatureColumn { Name = feature, Int64Lists = new Int64ListColumn { Lengths = { 1, 0 }, Values = { 7 } } }
                : new FeatureColumn { Name = feature, Floats = new FloatColumn { Values = { 1f, 2f } } });
        }

        return request;
    }

    private sealed class Logs : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
    }
}
