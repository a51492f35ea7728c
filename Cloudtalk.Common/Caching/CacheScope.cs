namespace Cloudtalk.Common.Caching;

/// <summary>
/// A group of cache entries that one version counter in Redis invalidates together,
/// for example everything cached about one product.
/// </summary>
/// <param name="Name">The scope's name, unique across the service (for example <c>product:42</c>).</param>
public readonly record struct CacheScope(string Name)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}
