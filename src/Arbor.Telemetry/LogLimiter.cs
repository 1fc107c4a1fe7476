using System.Collections.Concurrent;

namespace Arbor.Telemetry;

/// <summary>
/// Keeps a failure that repeats on every request from flooding the log: per key (a model, say), at
/// most <see cref="LinesPerInterval"/> lines per <see cref="Interval"/>; the rest are counted, and the
/// next line allowed says how many were held back. Callers log a held-back line at Debug level, so
/// nothing is lost to an operator who turns that on. Keys beyond <see cref="MaxKeys"/> share one
/// budget (a caller cannot grow the table without bound with made-up names).
/// </summary>
public sealed class LogLimiter(int linesPerInterval = 5, TimeSpan? interval = null, TimeProvider? time = null)
{
    /// <summary>How many keys get a budget of their own.</summary>
    public const int MaxKeys = 1024;

    private const string OverflowKey = "\0overflow";
    private readonly ConcurrentDictionary<string, Budget> _budgets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int LinesPerInterval { get; } = linesPerInterval > 0 ? linesPerInterval : throw new ArgumentOutOfRangeException(nameof(linesPerInterval));

    public TimeSpan Interval { get; } = interval ?? TimeSpan.FromSeconds(10);

    /// <summary>
    /// True when a line for <paramref name="key"/> may be written now; <paramref name="heldBack"/> is
    /// then the number of lines held back since the last one written (and is reset).
    /// </summary>
    public bool TryAcquire(string key, out long heldBack)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_budgets.TryGetValue(key, out var budget))
        {
            budget = _budgets.Count < MaxKeys ? _budgets.GetOrAdd(key, static _ => new Budget()) : _budgets.GetOrAdd(OverflowKey, static _ => new Budget());
        }

        var now = _time.GetTimestamp();
        lock (budget)
        {
            if (budget.Lines == 0 || _time.GetElapsedTime(budget.WindowStart, now) >= Interval)
            {
                budget.WindowStart = now;
                budget.Lines = 0;
            }

            if (budget.Lines >= LinesPerInterval)
            {
                budget.HeldBack++;
                heldBack = 0;
                return false;
            }

            budget.Lines++;
            heldBack = budget.HeldBack;
            budget.HeldBack = 0;
            return true;
        }
    }

    private sealed class Budget
    {
        public long WindowStart;
        public int Lines;
        public long HeldBack;
    }
}
