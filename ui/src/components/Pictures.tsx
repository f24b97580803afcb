// Faces and photos as pictures, with a drawn placeholder wherever a picture is missing (no face
// chosen yet, a photo that cannot be read or decoded, a file gone from disk).
import { useState } from "preact/hooks";
import { faceUrl, photoUrl } from "../api";
import type { ReviewQuestion } from "../bindings/ReviewQuestion";

/** A drawn silhouette, in place of a face picture that is not there. */
export function FacePlaceholder({ title = "No picture" }: { title?: string }) {
  return (
    <svg class="placeholder face-placeholder" viewBox="0 0 64 64" role="img" aria-label={title} data-testid="face-placeholder">
      <rect width="64" height="64" fill="#e9e3da" />
      <circle cx="32" cy="25" r="12" fill="#c9bfb2" />
      <path d="M10 62c2-14 11-21 22-21s20 7 22 21z" fill="#c9bfb2" />
    </svg>
  );
}

/** A drawn picture frame, in place of a photo that cannot be shown. */
export function PhotoPlaceholder({ title = "This photo cannot be shown" }: { title?: string }) {
  return (
    <svg class="placeholder photo-placeholder" viewBox="0 0 64 48" role="img" aria-label={title} data-testid="photo-placeholder">
      <rect width="64" height="48" fill="#e9e3da" />
      <circle cx="20" cy="16" r="5" fill="#c9bfb2" />
      <path d="M4 42l16-16 10 10 10-14 20 20z" fill="#c9bfb2" />
    </svg>
  );
}

export function FaceImage({ face }: { face: number | null }) {
  const [failed, setFailed] = useState<number | null>(null);
  if (face === null || failed === face) return <FacePlaceholder />;
  return <img src={faceUrl(face)} alt="" loading="lazy" onError={() => setFailed(face)} />;
}

export function PhotoThumb({ photo, title }: { photo: number; title: string }) {
  const [failed, setFailed] = useState<number | null>(null);
  if (failed === photo) return <PhotoPlaceholder />;
  return <img src={photoUrl(photo, 400)} alt={title} loading="lazy" onError={() => setFailed(photo)} />;
}

/** The faces a review question is about: the face itself, or a mosaic spread over a group (a
 * group of small children may mix several of them), with a way into the group to sort it by
 * hand. */
export function ReviewFaces({ question, onOpenGroup }: { question: ReviewQuestion; onOpenGroup: (group: number) => void }) {
  const faces = question.mosaic.length > 0 ? question.mosaic : [question.sampleFace];
  if (question.subject !== "group" || faces.length < 2) {
    return (
      <div class="review-face">
        <FaceImage face={faces[0]} />
      </div>
    );
  }
  return (
    <div class="review-group">
      <div class="review-mosaic" data-testid="review-mosaic">
        {faces.map((face) => (
          <FaceImage key={face} face={face} />
        ))}
      </div>
      <button class="link" onClick={() => onOpenGroup(question.subjectId)} data-testid="review-open-group">
        Open the group to sort its faces
      </button>
    </div>
  );
}
