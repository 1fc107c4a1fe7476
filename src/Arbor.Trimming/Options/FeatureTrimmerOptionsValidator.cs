using Microsoft.Extensions.Options;

namespace Arbor.Trimming.Options;

/// <summary>Rejects trimmer options that cannot work, at start-up, with every problem named.</summary>
public sealed class FeatureTrimmerOptionsValidator : IValidateOptions<FeatureTrimmerOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureTrimmerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.BundlePaths.Count; i++)
        {
            var path = options.BundlePaths[i];
            if (string.IsNullOrWhiteSpace(path))
            {
                failures.Add($"BundlePaths[{i}] is empty.");
            }
            else if (path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar))
            {
                failures.Add($"BundlePaths[{i}] '{path}' names a directory, not a bundle file.");
            }
            else if (!seen.Add(Path.GetFullPath(path)))
            {
                failures.Add($"BundlePaths[{i}] '{path}' is listed twice.");
            }
            else if (!ids.Add(Path.GetFileNameWithoutExtension(path)))
            {
                // The file name identifies the bundle in metrics and the admin endpoint.
                failures.Add($"BundlePaths[{i}] '{path}' has the same file name as another bundle file.");
            }
        }

        if (options.DebounceInterval <= TimeSpan.Zero)
        {
            failures.Add($"DebounceInterval must be positive (was {options.DebounceInterval}).");
        }

        if (options.MaxDebounceDelay < options.DebounceInterval)
        {
            failures.Add($"MaxDebounceDelay ({options.MaxDebounceDelay}) must be at least DebounceInterval ({options.DebounceInterval}).");
        }

        if (options.RescanInterval <= TimeSpan.Zero)
        {
            failures.Add($"RescanInterval must be positive (was {options.RescanInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
