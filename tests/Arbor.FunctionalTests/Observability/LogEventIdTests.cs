using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Arbor.FunctionalTests.Observability;

/// <summary>Operators search logs and docs by event id: no two of Arbor's log events share one.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void EveryLogEventOfArbor_HasItsOwnEventId()
    {
        var events = Directory.EnumerateFiles(AppContext.BaseDirectory, "Arbor.*.dll")
            .Where(f => !Path.GetFileNameWithoutExtension(f).EndsWith("Tests", StringComparison.Ordinal) && !f.EndsWith("Arbor.Testing.dll", StringComparison.Ordinal))
            .Select(f => Assembly.Load(AssemblyName.GetAssemblyName(f)))
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .ToList();

        var shared = events.GroupBy(e => e.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}").ToList();

        foreach (var assembly in new[] { "Arbor.Root.", "Arbor.Leaf.", "Arbor.Trimming.", "Arbor.Rpc." })
        {
            Assert.Contains(events, e => e.Method.StartsWith(assembly, StringComparison.Ordinal));
        }

        Assert.True(shared.Count == 0, string.Join("\n", shared));
    }
}
