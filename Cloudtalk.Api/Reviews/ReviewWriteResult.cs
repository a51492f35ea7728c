namespace Cloudtalk.Api.Reviews;

public enum ReviewWriteStatus
{
    Done,
    ReviewNotFound,
    ProductNotFound,
    ProductIdChanged,
}

/// <summary>What a review write came to; <see cref="Review"/> is set when it was <see cref="ReviewWriteStatus.Done"/>.</summary>
public sealed record ReviewWriteResult(ReviewWriteStatus Status, ReviewResponse? Review = null);
