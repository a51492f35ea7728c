namespace Cloudtalk.Common.Reconciliation;

/// <summary>One review's rating and write counter (the <c>reviewVersion</c> its events carry), for a rating rebuild.</summary>
public sealed record ReviewRatingSource(long ReviewId, int Rating, long Version);
