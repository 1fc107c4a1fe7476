namespace Arbor.Root.Authentication;

/// <summary>
/// The API keys in force: one <see cref="ApiKeySet"/> (null while the public API is open), swapped
/// atomically when the root config is reloaded. A call reads it once.
/// </summary>
public sealed class ApiKeys(ApiKeySet? initial)
{
    private ApiKeySet? _current = initial;

    public ApiKeySet? Current => Volatile.Read(ref _current);

    public void Publish(ApiKeySet? keys) => Interlocked.Exchange(ref _current, keys);
}
