namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// A field of a PUT body that may have been left out (<c>default</c>: keep the current value) or sent
/// (use it, even if null).
/// </summary>
public readonly record struct Optional<T>(bool HasValue, T Value)
{
    public T Or(T current) => HasValue ? Value : current;
}

public static class Optional
{
    public static Optional<T> Of<T>(T value) => new(true, value);
}
