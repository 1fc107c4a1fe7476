using System.Security.Cryptography;
using System.Text;
using Arbor.Contracts.V1;

namespace Arbor.Root.ClientTrimming;

/// <summary>
/// The client-supplied features that a set of models can use (one surface with every experiment
/// arm, or one explicit model list), with a content version: equal sets have equal versions on
/// every root, so clients of a fleet agree. Immutable.
/// </summary>
public sealed class ClientFeatureSet
{
    private readonly ClientFeatureView _view;

    private ClientFeatureSet(bool all, string[] candidate, string[] context)
    {
        AllFeatures = all;
        CandidateFeatures = candidate;
        ContextFeatures = context;
        Version = VersionOf(all, candidate, context);
        _view = new ClientFeatureView { Version = Version, AllFeatures = all };
        _view.CandidateFeatures.Add(candidate);
        _view.ContextFeatures.Add(context);
    }

    /// <summary>The set's content version (16 hex digits of a SHA-256 over its contents).</summary>
    public string Version { get; }

    /// <summary>True when some model is sent every feature: no client feature may be left out.</summary>
    public bool AllFeatures { get; }

    /// <summary>Candidate features the models use, sorted ordinally (empty when <see cref="AllFeatures"/>).</summary>
    public IReadOnlyList<string> CandidateFeatures { get; }

    /// <summary>Request-level features the models use, sorted ordinally (empty when <see cref="AllFeatures"/>).</summary>
    public IReadOnlyList<string> ContextFeatures { get; }

    /// <summary>The set when some model goes untrimmed.</summary>
    public static ClientFeatureSet All { get; } = new(true, [], []);

    /// <summary>A set of the given features (duplicates removed, sorted).</summary>
    public static ClientFeatureSet Of(IEnumerable<string> candidateFeatures, IEnumerable<string> contextFeatures) =>
        new(false, Sorted(candidateFeatures), Sorted(contextFeatures));

    /// <summary>The view to answer with; only the version when <paramref name="knownVersion"/> is current.</summary>
    public ClientFeatureView ToView(string? knownVersion) =>
        string.Equals(knownVersion, Version, StringComparison.Ordinal)
            ? new ClientFeatureView { Version = Version, Unchanged = true }
            : _view.Clone();

    private static string[] Sorted(IEnumerable<string> names)
    {
        var array = names.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }

    private static string VersionOf(bool all, string[] candidate, string[] context)
    {
        // Names cannot contain NUL (the registry and the trimmer bundles refuse it), so the
        // separators make the encoding unambiguous.
        var text = new StringBuilder(all ? "all\n" : "some\n");
        foreach (var name in candidate)
        {
            text.Append(name).Append('\0');
        }

        text.Append('\n');
        foreach (var name in context)
        {
            text.Append(name).Append('\0');
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }
}
