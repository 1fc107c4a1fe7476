namespace Arbor.Root.Authentication;

/// <summary>The admin token in force (null: none asked), swapped atomically on reload; a request reads it once.</summary>
public sealed class AdminTokens(AdminToken? initial)
{
    private AdminToken? _current = initial;

    public AdminToken? Current => Volatile.Read(ref _current);

    public void Publish(AdminToken? token) => Interlocked.Exchange(ref _current, token);
}
