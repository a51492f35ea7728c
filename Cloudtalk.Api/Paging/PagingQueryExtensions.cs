using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Paging;

public static class PagingQueryExtensions
{
    /// <summary>
    /// Counts, then reads one page of an ordered query. A page past the end costs no second query
    /// (and never turns page × limit into an int overflow).
    /// </summary>
    public static async Task<PagedList<T>> ToPagedListAsync<T>(
        this IQueryable<T> ordered, PageRequest page, CancellationToken cancellationToken)
    {
        var total = await ordered.CountAsync(cancellationToken);
        if (page.Offset >= total)
        {
            return PagedList.Create<T>([], page, total);
        }

        var items = await ordered.Skip((int)page.Offset).Take(page.Limit).ToListAsync(cancellationToken);
        return PagedList.Create(items, page, total);
    }
}
