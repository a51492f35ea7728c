using System.Globalization;
using Cloudtalk.Api.Infrastructure;

namespace Cloudtalk.Api.Paging;

/// <summary>The <c>page</c> and <c>limit</c> query parameters of a list, validated.</summary>
public readonly record struct PageRequest(int Page, int Limit)
{
    public const int DefaultPage = 1;
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public const string PageDescription = "Page number, a whole number from 1 (default 1). A page past the end is empty.";
    public const string LimitDescription = "Items per page, a whole number from 1 to 1000 (default 100).";

    /// <summary>Number of items before this page; long, because page × limit can pass int.MaxValue.</summary>
    public long Offset => (long)(Page - 1) * Limit;

    /// <summary>
    /// Parses the raw query values. Only plain digits count as whole numbers: "", "1.0", "+1", "1e2"
    /// or a repeated parameter are errors rather than a silent default.
    /// </summary>
    public static PageRequest? Parse(string? page, string? limit, ValidationErrors errors)
    {
        var parsedPage = ParseOne(page, "page", DefaultPage, int.MaxValue,
            $"The page parameter must be a whole number from 1 to {int.MaxValue}.", errors);
        var parsedLimit = ParseOne(limit, "limit", DefaultLimit, MaxLimit,
            $"The limit parameter must be a whole number from 1 to {MaxLimit}.", errors);
        return errors.IsEmpty ? new PageRequest(parsedPage, parsedLimit) : null;
    }

    private static int ParseOne(string? raw, string name, int fallback, int max, string message, ValidationErrors errors)
    {
        if (raw is null)
        {
            return fallback;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max)
        {
            return value;
        }

        errors.Add(name, message);
        return fallback;
    }
}
