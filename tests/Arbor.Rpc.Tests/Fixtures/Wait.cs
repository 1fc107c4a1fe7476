using Arbor.Testing;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>Polls a condition another thread or process makes true (through <see cref="Eventually"/>).</summary>
public static class Wait
{
    public static Task UntilAsync(Func<bool> condition, string what, int seconds = 20) =>
        Eventually.WaitUntilAsync(condition, what, TimeSpan.FromSeconds(seconds), TestContext.Current.CancellationToken);
}
