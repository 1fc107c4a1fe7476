using System.CommandLine;
using Arbor.Rpc.Server;

namespace Arbor.Cli.Commands;

/// <summary>The <c>--drain-delay-ms</c> and <c>--drain-timeout-ms</c> options of the server commands (root, leaf).</summary>
internal sealed class DrainArguments
{
    private readonly Option<int> _delay = new("--drain-delay-ms")
    {
        Description = "On SIGTERM: milliseconds to keep serving, already unready, before closing the listeners (time for callers to stop sending).",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> _timeout = new("--drain-timeout-ms")
    {
        Description = "On SIGTERM, after the delay: milliseconds the calls in flight may take to finish.",
        DefaultValueFactory = _ => 10_000,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_delay);
        command.Options.Add(_timeout);
    }

    /// <summary>The options, or null with a message when a value is out of range.</summary>
    public DrainOptions? Read(ParseResult result, out string? problem)
    {
        var delay = result.GetValue(_delay);
        var timeout = result.GetValue(_timeout);
        if (delay < 0 || timeout < 0)
        {
            problem = "--drain-delay-ms and --drain-timeout-ms must not be negative";
            return null;
        }

        problem = null;
        return new DrainOptions { Delay = TimeSpan.FromMilliseconds(delay), Timeout = TimeSpan.FromMilliseconds(timeout) };
    }
}
