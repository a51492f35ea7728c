namespace Cloudtalk.Common.Caching;

/// <summary>
/// A value a writer has just committed, to be cached in place of its scope's invalidated entry
/// (<see cref="CacheAside.InvalidateAndReplaceAsync"/>).
/// </summary>
/// <param name="Scope">The scope invalidated.</param>
/// <param name="Entry">The entry's name within the scope, as the readers' <see cref="CacheAside.WithCache{T}"/> name it.</param>
/// <param name="Value">The value, exactly what the readers' loader would return for it now.</param>
public sealed record CacheReplacement(CacheScope Scope, string Entry, object Value);
