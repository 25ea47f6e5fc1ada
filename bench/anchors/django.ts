import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answers, freePort, startService, type Service } from '../lib/processes.ts';

/**
 * The seeds' stack (PERFORMANCE.md §6): Django 3.2 + DRF 3.14 from Debian under gunicorn with 2 sync
 * workers, SQLite, DEBUG off. It lists one owner's 50 newest images with an original link and two
 * thumbnail links each, every one really HMAC-SHA256-signed (the bench-anchors version used constant
 * signatures), and has no authentication (the product checks a token on every request).
 */
export interface Django {
  service: Service;
  origin: string;
  path: string;
  version: string;
}

const CHECK = 'import django, rest_framework, gunicorn; print(django.get_version() + " / DRF " + rest_framework.VERSION + " / gunicorn " + gunicorn.__version__)';

/** A python3 that imports django, rest_framework and gunicorn (Debian's /usr/bin/python3 first, where apt puts them). */
export function findDjango(): { python?: string; version?: string; note: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const run = spawnSync(python, ['-c', CHECK], { encoding: 'utf8' });
    if (run.status === 0) return { python, version: run.stdout.trim(), note: 'ran' };
  }
  return { note: 'not installed (needs python3-django, python3-djangorestframework, gunicorn)' };
}

const FILES: Record<string, string> = {
  'settings.py': `SECRET_KEY = 'bench'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
INSTALLED_APPS = ['django.contrib.contenttypes', 'django.contrib.auth', 'rest_framework', 'gallery']
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
ROOT_URLCONF = 'urls'
import os
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.path.join(os.path.dirname(os.path.abspath(__file__)), 'db.sqlite3')}}
USE_TZ = True
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
REST_FRAMEWORK = {'DEFAULT_RENDERER_CLASSES': ['rest_framework.renderers.JSONRenderer'], 'DEFAULT_AUTHENTICATION_CLASSES': [],
                  'DEFAULT_PERMISSION_CLASSES': [], 'UNAUTHENTICATED_USER': None}
`,
  'gallery/__init__.py': '',
  'gallery/models.py': `from django.db import models

class Image(models.Model):
    owner_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    filename = models.CharField(max_length=200)
    width = models.IntegerField()
    height = models.IntegerField()

    class Meta:
        app_label = 'gallery'
        indexes = [models.Index(fields=['owner_id', '-created_at', '-id'])]
`,
  'gallery/views.py': `import base64, hashlib, hmac, os
from rest_framework import generics, serializers
from .models import Image

KEY = os.urandom(32)

def signed(path):
    sig = base64.urlsafe_b64encode(hmac.new(KEY, path.encode(), hashlib.sha256).digest()[:16]).rstrip(b'=').decode()
    return f'http://127.0.0.1/files{path}?sig={sig}'

class ImageSerializer(serializers.ModelSerializer):
    original = serializers.SerializerMethodField()
    thumbs = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = ['id', 'created_at', 'width', 'height', 'original', 'thumbs']

    def get_original(self, o):
        return signed(f'/{o.id}/original')

    def get_thumbs(self, o):
        return [{'size': h, 'url': signed(f'/{o.id}/h{h}')} for h in (200, 400)]

class ImageList(generics.ListAPIView):
    serializer_class = ImageSerializer

    def get_queryset(self):
        return Image.objects.filter(owner_id=self.kwargs['owner']).order_by('-created_at', '-id')[:50]
`,
  'urls.py': `from django.urls import path
from gallery.views import ImageList
urlpatterns = [path('images/<int:owner>/', ImageList.as_view())]
`,
  'wsgi.py': `import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
`,
  // owner 1 gets the listing user's count; 4 more owners get as many again, interleaved
  'seed.py': `import datetime, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ['DJANGO_SETTINGS_MODULE'] = 'settings'
import django
django.setup()
from django.db import connection
from gallery.models import Image
mine = int(sys.argv[1])
with connection.schema_editor() as editor:
    editor.create_model(Image)
t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
rows = [Image(owner_id=1 + i % 5, created_at=t0 + datetime.timedelta(seconds=17 * i), filename=f'seed-{i}.jpg', width=4000, height=3000)
        for i in range(mine * 5)]
Image.objects.bulk_create(rows, batch_size=5000)
print(Image.objects.filter(owner_id=1).count())
`,
};

export async function startDjango(python: string, version: string, workDir: string, logDir: string, listerImages: number): Promise<Django> {
  const dir = join(workDir, 'django');
  await mkdir(join(dir, 'gallery'), { recursive: true });
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
  const seed = spawnSync(python, [join(dir, 'seed.py'), String(listerImages)], { encoding: 'utf8' });
  if (seed.status !== 0) throw new Error(`django seed failed: ${seed.stderr}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const path = '/images/1/';
  const service = await startService({
    name: 'django',
    command: python,
    args: ['-m', 'gunicorn', '-w', '2', '-b', `127.0.0.1:${port}`, '--chdir', dir, '--log-level', 'warning', 'wsgi:application'],
    logDir,
    ready: () => answers(`${origin}${path}`),
  });
  return { service, origin, path, version };
}
