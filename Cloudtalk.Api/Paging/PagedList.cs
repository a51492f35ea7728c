namespace Cloudtalk.Api.Paging;

/// <summary>The list envelope of the contract: one page of items plus where it sits in the whole.</summary>
/// <param name="Data">The items of the page; empty past the end.</param>
/// <param name="TotalPages">Number of pages at this limit; 0 when there are no items at all.</param>
/// <param name="CurrentPage">The page asked for.</param>
/// <param name="TotalItems">Number of items over all pages.</param>
public sealed record PagedList<T>(IReadOnlyList<T> Data, int TotalPages, int CurrentPage, int TotalItems)
{
    public PagedList<TOut> Map<TOut>(Func<T, TOut> map) =>
        new([.. Data.Select(map)], TotalPages, CurrentPage, TotalItems);
}

public static class PagedList
{
    public static PagedList<T> Create<T>(IReadOnlyList<T> data, PageRequest page, int totalItems) =>
        new(data, (int)((totalItems + (long)page.Limit - 1) / page.Limit), page.Page, totalItems);
}
