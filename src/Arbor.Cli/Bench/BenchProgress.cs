using System.Globalization;

namespace Arbor.Cli.Bench;

/// <summary>Progress lines for people: steps on their own line, and a progress counter redrawn in place on a terminal.</summary>
public sealed class BenchProgress(TextWriter output, bool interactive)
{
    private DateTime _lastTick;
    private bool _ticking;

    public static BenchProgress Console() => new(System.Console.Error, !System.Console.IsErrorRedirected);

    public static BenchProgress Silent() => new(TextWriter.Null, false);

    public void Step(string message)
    {
        EndTicks();
        output.WriteLine($"  {message}");
    }

    /// <summary>Shows <paramref name="done"/> of <paramref name="total"/>, at most a few times a second (every 5 s when not a terminal).</summary>
    public void Tick(string phase, long done, double total)
    {
        var now = DateTime.UtcNow;
        if (now - _lastTick < (interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5)))
        {
            return;
        }

        _lastTick = now;
        var share = total > 0 ? Math.Min(1, done / total) : 0;
        var bar = new string('#', (int)(share * 30)).PadRight(30, '.');
        var line = total > 0
            ? string.Create(CultureInfo.InvariantCulture, $"  {phase,-8} [{bar}] {share:P0} ({done} requests)")
            : $"  {phase,-8} {done} requests";
        if (interactive)
        {
            output.Write($"\r{line}");
            _ticking = true;
        }
        else
        {
            output.WriteLine(line);
        }
    }

    public void EndTicks()
    {
        if (_ticking)
        {
            output.WriteLine();
            _ticking = false;
        }
    }
}
