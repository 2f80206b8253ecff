"""Run the trial's questions through a source tree's console, one process per language.

usage: python run.py TREE_DIR OUT_DIR [QUESTIONS] [DB]   (from the tree's venv: python is this one)"""
import subprocess, os, sys, csv
tree, out = sys.argv[1], sys.argv[2]
qf = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), 'questions.txt')
db = sys.argv[4] if len(sys.argv) > 4 else os.path.join(out, 'trial.sqlite3')
py = sys.executable
M = 'zzmarkzz'
os.makedirs(out, exist_ok=True)
if os.path.exists(db):
    os.remove(db)
rows = [l.rstrip('\n').split('\t') for l in open(qf, encoding='utf-8')][1:]
batches = {}
for r in rows:
    batches.setdefault(r[1], []).append(r)
for lang, rs in batches.items():
    zh = lang in ('zh', 'hant')
    inp = ''.join(f'{r[2]}\n/search {M}\n' for r in rs)
    args = [py, '-m', 'bot', 'console'] + (['--lang', 'zh'] if zh else [])
    env = dict(os.environ, DATABASE_PATH=db)
    env.pop('TELEGRAM_BOT_TOKEN', None)
    p = subprocess.run(args, input=inp, capture_output=True, text=True, cwd=tree, env=env, timeout=1200)
    lines = p.stdout.split('\n')
    chunks, cur = [], []
    for l in lines:
        if M in l:
            chunks.append('\n'.join(cur).strip('\n'))
            cur = []
        else:
            cur.append(l)
    print(lang, 'questions', len(rs), 'answers', len(chunks), 'rc', p.returncode, 'stderr', p.stderr[-300:].strip())
    for r, c in zip(rs, chunks):
        open(os.path.join(out, f'{r[0]}.txt'), 'w', encoding='utf-8').write(c + '\n')
